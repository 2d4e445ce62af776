package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The label, value, note rows a command ends with: printed aligned on the console, and given as they are to
 * {@link HtmlReport#summary} for a report, so both show the same numbers.
 */
final class Summary
{
    /**
     * One row; a {@code null} value makes a heading, a {@code null} label a blank line between groups.
     *
     * @param note what the value means or where it comes from, or {@code null}.
     */
    record Row(String label, String value, String note)
    {
    }

    private final List<Row> rows = new ArrayList<>();

    /** Adds a row; {@code note} may be {@code null}. */
    Summary add(final String label, final String value, final String note)
    {
        rows.add(new Row(label, value, note));
        return this;
    }

    /** Adds a heading for the rows after it. */
    Summary heading(final String label)
    {
        rows.add(new Row(label, null, null));
        return this;
    }

    /** Adds a blank line between two groups of rows. */
    Summary gap()
    {
        rows.add(new Row(null, null, null));
        return this;
    }

    List<Row> rows()
    {
        return Collections.unmodifiableList(rows);
    }

    /** Prints the rows, labels left-aligned in {@code labelWidth}, values right-aligned in {@code valueWidth}. */
    void print(final PrintWriter out, final int labelWidth, final int valueWidth)
    {
        for (final Row r : rows)
        {
            if (r.label() == null)
            {
                out.println();
            }
            else if (r.value() == null)
            {
                out.println("  " + r.label());
            }
            else
            {
                out.printf(Locale.ROOT, "  %-" + labelWidth + "s%" + valueWidth + "s%s%n", r.label(), r.value(),
                    r.note() == null ? "" : "   " + r.note());
            }
        }
    }

    /** {@code n} with thousands separators. */
    static String count(final long n)
    {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** {@code part / whole} as a percentage with one decimal, or {@code n/a} when {@code whole} is 0. */
    static String percent(final long part, final long whole)
    {
        return whole == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }
}
