package io.kvbm4j.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The trace files the project carries in {@code traces/} at the repository root (source, licence and
 * sha256 in {@code traces/README.md}). Found by walking up from the module directory, so a clone needs
 * nothing beside it; the file's sha256 is checked once, so a damaged copy fails loudly instead of
 * giving different hit rates.
 */
final class SharedTraces
{
    static final String MOONCAKE_SHA256 = "bd070915a98fc0ed264d7cfef2ce746002eb3076a695ec31ba2674c0111ec131";

    private static Path verified;

    private SharedTraces()
    {
    }

    static synchronized Path mooncake()
    {
        if (verified == null)
        {
            final Path file = find("mooncake_synthetic.jsonl");
            final String sha = sha256(file);
            if (!MOONCAKE_SHA256.equals(sha))
            {
                throw new AssertionError(file + ": sha256 " + sha + ", expected " + MOONCAKE_SHA256 +
                    " (traces/README.md)");
            }
            verified = file;
        }
        return verified;
    }

    private static Path find(final String name)
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null)
        {
            final Path candidate = dir.resolve("traces").resolve(name);
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("traces/" + name + " not found in the repository (above " +
            Path.of("").toAbsolutePath() + ")");
    }

    private static String sha256(final Path file)
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; )
            {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        }
        catch (final IOException | NoSuchAlgorithmException e)
        {
            throw new AssertionError("cannot read " + file + ": " + e, e);
        }
    }
}
