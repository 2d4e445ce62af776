package io.kvbm4j.observe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the module's tests share: the repository's .venv and scripts, free loopback ports, a small config. */
public final class TestSupport
{
    private TestSupport()
    {
    }

    public static Path repoRoot()
    {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("deps")))
        {
            p = p.getParent();
        }
        if (p == null)
        {
            throw new AssertionError("repository root (with deps/) not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** .venv/bin/python; fails (never skips) when it is missing. */
    public static Path python()
    {
        final Path python = repoRoot().resolve(".venv/bin/python");
        if (!Files.isExecutable(python))
        {
            throw new AssertionError(python + " is missing: run make deps (it builds .venv with pyzmq, msgpack, " +
                "msgspec from python/requirements-test.txt)");
        }
        return python;
    }

    public static Path script(final String name)
    {
        return repoRoot().resolve("observe/src/test/python").resolve(name);
    }

    /** A port free on 127.0.0.1 right now. */
    public static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    /** Tiny model, 48 G1 blocks with host memory, 32 G2 blocks, every block offloaded: every path runs. */
    public static Map<String, String> smallTiers()
    {
        final Map<String, String> set = new LinkedHashMap<>();
        set.put("model", "tiny-test");
        set.put("tiers.g1-blocks", "48");
        set.put("tiers.g2-blocks", "32");
        set.put("tiers.g1-memory", "host");
        set.put("transfers.admission", "always");
        set.put("ring.size", "16384");
        return set;
    }
}
