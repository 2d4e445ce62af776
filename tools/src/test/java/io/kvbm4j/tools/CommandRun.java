package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine;

/**
 * Exit code and captured streams of one in-process run of the command line, as {@code bin/kvbm4j} would run
 * it.
 */
record CommandRun(int exitCode, String out, String err)
{
    static CommandRun run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        final int code = cmd.execute(args);
        return new CommandRun(code, out.toString(), err.toString());
    }

    /** Everything, for assertion messages. */
    String all()
    {
        return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
    }

    /** The number (thousands separators allowed) after {@code label} on an indented summary line of stdout. */
    long number(final String label)
    {
        final Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(label) + "\\s+([0-9,]+)").matcher(out);
        assertTrue(m.find(), "a '" + label + "' line in\n" + all());
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    void assertNoStackTrace()
    {
        assertFalse(err.contains("\tat "), "no stack trace:\n" + all());
        assertFalse(err.contains("Exception"), "no exception name:\n" + all());
    }
}
