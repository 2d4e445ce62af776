package io.kvbm4j.gds.disk;

import java.nio.file.Path;
import java.time.Duration;

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
 */
public record DiskTierConfig(Path root, int slotCount, long maxPayloadBytes, IoPath io, Path cufileLibrary,
                             Duration driverTimeout, int degradeAfterFailures, int scanThreads)
{
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
    }

    /** POSIX path, 2 s driver deadline, degraded after 8 failures in a row, 4 scan threads. */
    public static DiskTierConfig posix(final Path root, final int slotCount, final long maxPayloadBytes)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, IoPath.POSIX, null, Duration.ofSeconds(2), 8, 4);
    }

    public DiskTierConfig withIo(final IoPath path, final Path library, final Duration timeout)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, path, library, timeout, degradeAfterFailures,
            scanThreads);
    }

    public DiskTierConfig withDegradeAfterFailures(final int failures)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, io, cufileLibrary, driverTimeout, failures,
            scanThreads);
    }

    public DiskTierConfig withScanThreads(final int threads)
    {
        return new DiskTierConfig(root, slotCount, maxPayloadBytes, io, cufileLibrary, driverTimeout,
            degradeAfterFailures, threads);
    }
}
