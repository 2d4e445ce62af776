package io.kvbm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Python client's tests (python/tests, pytest from the repository's .venv) against a service started
 * here: the Python client processes store, look up and load through a real socket and shared memory.
 */
class PythonClientTest
{
    @TempDir
    Path dir;

    static Path repositoryRoot()
    {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("python/kvbm4j_client")))
        {
            p = p.getParent();
        }
        if (p == null)
        {
            throw new IllegalStateException("python/kvbm4j_client not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    @Test
    void thePythonClientsTestsPassAgainstTheService() throws IOException, InterruptedException
    {
        final Path root = repositoryRoot();
        final Path python = root.resolve(".venv/bin/python");
        assertTrue(Files.isExecutable(python), python + " is missing: run make deps (make test does)");
        try (KvServer server = KvServer.open(TestServers.config(null),
            ServerSettings.defaults(dir.resolve("kv.sock"), dir).withCopyTenants(Set.of("guest"))))
        {
            final Path log = dir.resolve("pytest.log");
            final ProcessBuilder pb = new ProcessBuilder(python.toString(), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "python/tests").directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("KVBM4J_SOCKET", server.socket().toString());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            final Process p = pb.start();
            if (!p.waitFor(170, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
            }
            final String out = Files.readString(log, StandardCharsets.UTF_8);
            System.out.println(out);
            assertEquals(0, p.exitValue(), "pytest failed:\n" + out);
            assertEquals(0, server.handlesInUse(), "every lease and store of the Python clients was given back");
        }
    }
}
