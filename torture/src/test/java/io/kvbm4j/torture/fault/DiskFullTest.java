package io.kvbm4j.torture.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.torture.soak.SoakDriver;

/**
 * The disk full, for real: an 8 MiB tmpfs mounted in a private mount namespace ({@code unshare -m}, root), the
 * engine in a child JVM on it ({@link DiskFullChild}). Skipped, with the reason, where unshare or mount is not
 * permitted. Expected: a G3 larger than the disk is refused at open with the bytes free and needed; a G3 that
 * fits keeps working on a full disk (slot and index files are reserved at open), and survives a warm restart
 * there; no wrong block.
 */
class DiskFullTest
{
    @TempDir
    Path dir;

    @Test
    void aFullDiskRefusesAnOversizedG3AtOpenAndNeverFailsAReservedOne() throws Exception
    {
        final Path mount = dir.resolve("mnt");
        Files.createDirectories(mount);
        final Process probe = new ProcessBuilder("unshare", "-m", "sh", "-c",
            "mount -t tmpfs -o size=1m tmpfs " + mount + " && umount " + mount).redirectErrorStream(true).start();
        final String probeOut = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0,
            "skipped: a private mount namespace with a tmpfs is not permitted here (unshare -m / mount as root): " +
            probeOut.trim());
        final List<String> java = new ArrayList<>(SoakDriver.javaCommand());
        java.add(DiskFullChild.class.getName());
        java.add(mount.toString());
        final StringBuilder cmd = new StringBuilder("mount -t tmpfs -o size=8m tmpfs " + mount + " && exec");
        for (final String a : java)
        {
            cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        final Process child = new ProcessBuilder("unshare", "-m", "sh", "-c", cmd.toString())
            .redirectError(new File(dir.toFile(), "child.err")).start();
        final String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the disk-full child finished");
        final String err = Files.readString(dir.resolve("child.err"));
        assertEquals(0, child.exitValue(), out + err);
        System.out.print(out);
        assertTrue(out.contains("REFUSED ") && out.contains("bytes free"), out);
        assertTrue(out.contains("FILLED "), out);
        assertTrue(out.contains("SERVED ") && out.contains(" wrong=0"), out);
        assertTrue(out.contains("RESTARTED ") && out.lines().filter(l -> l.startsWith("RESTARTED")).allMatch(
            l -> l.endsWith(" wrong=0")), out);
        Files.writeString(Path.of("target", "fault-report.txt"), "| disk full (tmpfs 8 MiB, real) | - | " +
            out.trim().replace('\n', ';').replace("|", "/") + " |\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
