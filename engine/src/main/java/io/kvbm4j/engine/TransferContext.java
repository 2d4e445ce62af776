package io.kvbm4j.engine;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.NanoClock;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.pool.TierPools;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * What the transfer roles ({@link Offloads}, {@link Onboards}, {@link G3Transfers}) share: the sequencer, the
 * pools and memories, the engine, the settings, and whether transfers were stopped. Owned by the serving
 * thread, like the roles.
 */
final class TransferContext
{
    final Sequencer seq;
    final RingWriter writer;
    final TierPools pools;
    final BlockPool g1;
    final BlockPool g2;
    /** Null when G3 is off. */
    final BlockPool g3;
    /** The G4 index (what this node knows the shared store holds); null when G4 is off. */
    final BlockPool g4;
    final SlotMemory g1Memory;
    final SlotMemory g2Memory;
    final TransferEngine engine;
    final CounterArray counters;
    final NanoClock clock;
    final TransferSettings settings;
    final int blockTokens;
    final long timeoutNanos;
    /** Set once by {@link TierTransfers#stop}: nothing new is scheduled after. */
    boolean stopped;

    TransferContext(
        final Sequencer seq, final SlotMemory g1Memory, final SlotMemory g2Memory, final TransferEngine engine,
        final NanoClock clock, final TransferSettings settings)
    {
        this.seq = seq;
        this.writer = seq.writer;
        this.pools = seq.pools;
        this.g1 = pools.get(Tier.G1);
        this.g2 = pools.get(Tier.G2);
        this.g3 = pools.get(Tier.G3);
        this.g4 = pools.get(Tier.G4);
        this.g1Memory = g1Memory;
        this.g2Memory = g2Memory;
        this.engine = engine;
        this.counters = seq.counters;
        this.clock = clock;
        this.settings = settings;
        this.blockTokens = seq.blockTokens;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
    }

    /** A deadline {@code transfers.timeout-ms} from now on the transfer clock. */
    long deadline()
    {
        return clock.nanoTime() + timeoutNanos;
    }

    /** Counts a block that did not make it (FAILED, CANCELLED or TIMED_OUT). */
    void countFailure(final byte outcome, final boolean mismatch)
    {
        switch (outcome)
        {
            case TransferOutcome.FAILED:
                counters.increment(Counter.TRANSFER_FAILED_BLOCKS);
                if (mismatch)
                {
                    counters.increment(Counter.CHECKSUM_MISMATCHES);
                }
                break;
            case TransferOutcome.CANCELLED:
                counters.increment(Counter.TRANSFER_CANCELLED_BLOCKS);
                break;
            case TransferOutcome.TIMED_OUT:
                counters.increment(Counter.TRANSFER_TIMED_OUT_BLOCKS);
                break;
            default:
                throw new IllegalStateException("not a failure outcome: " + TransferOutcome.name(outcome));
        }
    }
}
