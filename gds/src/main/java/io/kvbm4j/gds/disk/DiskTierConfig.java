package io.kvbm4j.gds.disk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the G3 disk tier, validated when built; each error names its key and the allowed range.
 *
 * @param root                 {@code g3.root}: directory holding the slot file; created (0700) if missing.
 * @param slotCount            {@code g3.slot-count}: blocks the tier holds, 1 .. 2^28.
 * @param maxPayloadBytes      {@code g3.max-payload-bytes}: largest block payload, 1 .. 1 GiB.
 * @param io                   {@code g3.io}: {@link IoPath}.
 * @param cufileLibrary        {@code g3.cufile-library}: a libcufile file, or null for the system path.
 * @param driverTimeout        {@code g3.driver-timeout-ms}: deadline of each cuFile driver call, 1 ms .. 10 min.
 * @param degradeAfterFailures {@code g3.degrade-after-failures}: I/O failures in a row that mark the tier
 *                             degraded, 1 .. 1,000,000.
 * @param scanThreads          {@code g3.scan-threads}: threads reading headers at restart, 1 .. 64.
 * @param queueDepth           {@code g3.queue-depth}: I/Os in flight on the asynchronous path
 *                             ({@link DiskTier#submitWrite}/{@link DiskTier#submitRead}), one I/O thread each,
 *                             1 .. {@value #MAX_QUEUE_DEPTH}; default 8.
 * @param partBytes            {@code g3.part-bytes}: blocks longer than this are cut into parts of about this size
 *                             (a multiple of 1 MiB) moved in parallel by several I/O threads; 0 never cuts;
 *                             0 or 1 MiB .. 1 GiB; default 4 MiB.
 */
public record DiskTierConfig(Path root, int slotCount, long maxPayloadBytes, IoPath io, Path cufileLibrary,
                             Duration driverTimeout, int degradeAfterFailures, int scanThreads, int queueDepth,
                             long partBytes)
{
    public static final int MAX_QUEUE_DEPTH = 256;
    public static final int DEFAULT_QUEUE_DEPTH = 8;
    public static final long DEFAULT_PART_BYTES = 4L << 20;

    public static final int MAX_SLOTS = 1 << 28;
    public static final long MAX_PAYLOAD = 1L << 30;

    public DiskTierConfig
    {
        if (root == null)
        {
            throw new IllegalArgumentException("g3.root must be set");
        }
        if (slotCount < 1 || slotCount > MAX_SLOTS)
        {
            throw new IllegalArgumentException("g3.slot-count must be in 1.." + MAX_SLOTS + ": " + slotCount);
        }
        if (maxPayloadBytes < 1 || maxPayloadBytes > MAX_PAYLOAD)
        {
            throw new IllegalArgumentException("g3.max-payload-bytes must be in 1.." + MAX_PAYLOAD + ": " + maxPayloadBytes);
        }
        if (io == null)
        {
            throw new IllegalArgumentException("g3.io must be one of posix, gds-preferred, gds-required");
        }
        if (io == IoPath.POSIX && cufileLibrary != null)
        {
            throw new IllegalArgumentException("g3.cufile-library is set but g3.io is posix: set g3.io to " +
                "gds-preferred or gds-required, or remove g3.cufile-library");
        }
        if (driverTimeout == null || driverTimeout.toMillis() < 1 || driverTimeout.toMinutes() > 10)
        {
            throw new IllegalArgumentException("g3.driver-timeout-ms must be in 1..600000: " + driverTimeout);
        }
        if (degradeAfterFailures < 1 || degradeAfterFailures > 1_000_000)
        {
            throw new IllegalArgumentException("g3.degrade-after-failures must be in 1..1000000: " + degradeAfterFailures);
        }
        if (scanThreads < 1 || scanThreads > 64)
        {
            throw new IllegalArgumentException("g3.scan-threads must be in 1..64: " + scanThreads);
        }
        if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH)
        {
            throw new IllegalArgumentException("g3.queue-depth must be in 1.." + MAX_QUEUE_DEPTH + ": " + queueDepth);
        }
        if (partBytes != 0 && (partBytes < SlotHeaderLayout.CHECKSUM_CHUNK || partBytes > MAX_PAYLOAD ||
            partBytes % SlotHeaderLayout.CHECKSUM_CHUNK != 0))
        {
            throw new IllegalArgumentException("g3.part-bytes must be 0 (never cut a block) or a multiple of " +
                "1048576 in 1048576.." + MAX_PAYLOAD + ": " + partBytes);
        }
    }

    /** The keys {@link #fromMap} accepts. */
    public static final Set<String> KEYS = Set.of("g3.root", "g3.slot-count", "g3.max-payload-bytes", "g3.io",
        "g3.cufile-library", "g3.driver-timeout-ms", "g3.degrade-after-failures", "g3.scan-threads", "g3.queue-depth",
        "g3.part-bytes");

    /**
     * Builds the settings from flat {@code g3.*} keys (as a YAML section flattens); absent keys take the
     * defaults of {@link #posix}. Unknown keys and values that do not parse are errors naming the key.
     */
    public static DiskTierConfig fromMap(final Map<String, String> values)
    {
        for (final String key : values.keySet())
        {
            if (!KEYS.contains(key))
            {
                throw new IllegalArgumentException("unknown setting " + key + "; G3 settings are " +
                    new TreeSet<>(KEYS));
            }
        }
        final String root = values.get("g3.root");
        final String lib = values.get("g3.cufile-library");
        return new DiskTierConfig(root == null || root.isBlank() ? null : Path.of(root),
            (int)number(values, "g3.slot-count", -1),
            number(values, "g3.max-payload-bytes", -1),
            IoPath.parse(values.getOrDefault("g3.io", IoPath.POSIX.key())),
            lib == null || lib.isBlank() ? null : Path.of(lib),
            Duration.ofMillis(number(values, "g3.driver-timeout-ms", 2000)),
            (int)number(values, "g3.degrade-after-failures", 8),
            (int)number(values, "g3.scan-threads", 4),
            (int)number(values, "g3.queue-depth", DEFAULT_QUEUE_DEPTH),
            number(values, "g3.part-bytes", DEFAULT_PART_BYTES));
    }

    private static long number(final Map<String, String> values, final String key, final long fallback)
    {
        final String v = values.get(key);
        if (v == null)
        {
            if (fallback < 0)
            {
                throw new IllegalArgumentException(key + " must be set");
            }
            return fallback;
        }
        try
        {
            final long n = Long.parseLong(v.trim().replace("_", ""));
            if (n > Integer.MAX_VALUE && !"g3.max-payload-bytes".equals(key) && !"g3.part-bytes".equals(key))
            {
                throw new IllegalArgumentException(key + " is out of range: " + v);
            }
            return n;
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(key + " must be an integer: " + v, e);
        }
    }

    /**
     * POSIX path, 2 s driver deadline, degraded after 8 failures in a row, 4 scan threads, queue depth 8,
     * parts of 4 MiB.
     */
    public static DiskTierConfig posix(final Path root, final int slotCount, final long maxPayloadBytes)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, IoPath.POSIX, null, Duration.ofSeconds(2), 8, 4,
            DEFAULT_QUEUE_DEPTH, DEFAULT_PART_BYTES);
    }

    public DiskTierConfig withQueueDepth(final int depth, final long part)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, io, cufileLibrary, driverTimeout,
            degradeAfterFailures, scanThreads, depth, part);
    }

    public DiskTierConfig withIo(final IoPath path, final Path library, final Duration timeout)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, path, library, timeout, degradeAfterFailures,
            scanThreads, queueDepth, partBytes);
    }

    public DiskTierConfig withDegradeAfterFailures(final int failures)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, io, cufileLibrary, driverTimeout, failures,
            scanThreads, queueDepth, partBytes);
    }

    public DiskTierConfig withScanThreads(final int threads)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, io, cufileLibrary, driverTimeout,
            degradeAfterFailures, threads, queueDepth, partBytes);
    }
}
