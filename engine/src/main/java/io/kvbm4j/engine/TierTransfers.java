package io.kvbm4j.engine;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.NanoClock;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.metrics.TransferLatencies;
import io.kvbm4j.policy.AdmissionPolicy;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;

/**
 * The serving thread's side of transfers between tiers: routes the manager's calls to the roles and the
 * {@link TransferEngine}'s completions back to them.
 *
 * <pre>
 *  manager call ──> TierTransfers ──> Offloads     G1→G2: stage a batch, apply it (then G3 write-back)
 *                                 ──> Onboards     G2→G1 tickets (OnboardPlan, OnboardState)
 *                                 ──> G3Transfers  G2→G3 write-back, G3→G2 staging (G3Plan, beside G3Copier)
 *                                 ──> G4Transfers  G2→G4 write-back, G4 lookup → G4→G2 reads (G4Plan, beside G4Copier)
 *                  TransferEngine (Agrona agent: own thread, or an invoker in tests) runs every copy
 * </pre>
 *
 * <p>Owned by the serving thread (the manager's owner); every method is called from the manager's
 * methods, never from another thread. Nothing here waits except {@link #await}, {@link #awaitSettled} and
 * {@link #stop}, which the caller chooses to call; on an invoker those run the engine's duty cycle
 * themselves instead of parking.
 *
 * <p>Invariants: every claimed record is either being staged (offloads, this call), submitted, or
 * completed and awaiting its caller's poll (onboards); every pin has exactly one transfer that drops it.
 */
final class TierTransfers
{
    private final TransferContext ctx;
    private final TransferEngine engine;
    private final Offloads offloads;
    private final Onboards onboards;
    /** Null when G3 is off. */
    private final G3Transfers g3;
    /** Latencies of the transfers applied here (written in {@link #drain}, serving thread; read on scrape). */
    private final TransferLatencies latencies = new TransferLatencies();
    /** Null when G4 is off. */
    private final G4Transfers g4;
    /** What the first stop() found: whether the transfer thread ended (false: abandoned in a copy). */
    private boolean stoppedCleanly;

    TierTransfers(
        final Sequencer seq, final SlotMemory g1Memory, final SlotMemory g2Memory, final TransferEngine engine,
        final NanoClock clock, final TransferSettings settings, final AdmissionPolicy admission, final G3Copier g3Io,
        final G4Copier g4Io)
    {
        this.ctx = new TransferContext(seq, g1Memory, g2Memory, engine, clock, settings);
        this.engine = engine;
        this.g3 = g3Io == null ? null : new G3Transfers(ctx, g3Io);
        this.g4 = g4Io == null ? null : new G4Transfers(ctx, g4Io);
        this.offloads = new Offloads(ctx, admission, g3, g4);
        this.onboards = new Onboards(ctx, g3, g4);
    }

    /** A G3 disk tier counter (atomic, any thread); 0 when G3 is off. */
    long g3Counter(final DiskCounter counter)
    {
        return g3 == null ? 0 : g3.counter(counter);
    }

    /** Latency histograms of applied transfers (any thread reads). */
    TransferLatencies latencies()
    {
        return latencies;
    }

    /** Whether G4 is on and its store degraded (any thread: the store's health is volatile). */
    boolean g4Degraded()
    {
        return g4 != null && g4.degraded();
    }

    /** The engine behind these transfers (copies and bytes counted there). */
    TransferEngine engine()
    {
        return engine;
    }

    /** At the top of every manager call: apply finished transfers; submit the staged batch when asked. */
    void beforeCall(final boolean flush)
    {
        if (flush)
        {
            flushStaged();
        }
        drain();
        if (g3 != null)
        {
            g3.flush(); // write-backs applied just now may have made room on the disk for the staged batch
        }
    }

    /** Applies every finished transfer (a few queue polls; no copy, no wait). */
    void drain()
    {
        if (g3 != null)
        {
            g3.publishDegraded();
        }
        if (g4 != null)
        {
            g4.publishDegraded();
        }
        Transfer t;
        while ((t = engine.peekCompleted()) != null)
        {
            final boolean applied;
            boolean again = false;
            final boolean g4Leg = g4 != null && g4.involves(t);
            if (g4Leg)
            {
                if (t.direction() == Transfer.OFFLOAD)
                {
                    applied = g4.applyWrite(t);
                }
                else
                {
                    final OnboardPlan plan = onboards.plan(t.index());
                    if (g4.isLookup(t))
                    {
                        g4.applyLookup(t, plan);
                        applied = true;
                    }
                    else
                    {
                        applied = g4.applyStage(t, plan);
                    }
                    again = applied && (plan.state == OnboardState.RUNNING || plan.state == OnboardState.STAGING);
                }
            }
            else if (t.direction() == Transfer.OFFLOAD)
            {
                applied = g3 != null && g3.involves(t) ? g3.applyWrite(t) : offloads.apply(t);
            }
            else if (g3 != null && g3.involves(t))
            {
                final OnboardPlan plan = onboards.plan(t.index());
                applied = g3.applyStage(t, plan);
                again = applied && plan.state == OnboardState.RUNNING;
            }
            else
            {
                applied = onboards.apply(t);
            }
            if (!applied)
            {
                return; // ring full: apply on a later call
            }
            engine.pollCompleted();
            // the lower tier of the copy: G4 for the remote store's records, G2 when G2's memory is the source or
            // destination, else G3
            final boolean g2Leg = t.direction() == Transfer.OFFLOAD ? t.destination() == ctx.g2Memory :
                t.source() == ctx.g2Memory;
            latencies.record(g4Leg ? 2 : g2Leg ? 0 : 1, t.direction(), t.outcome(), t.latencyNanos());
            if (again)
            {
                engine.submit(t); // the stage's next leg (G4 reads, G2→G1), on the same record (the ticket stays valid)
            }
            else if (t.direction() == Transfer.OFFLOAD)
            {
                engine.recycle(t);
            }
        }
    }

    /** Submits the staged offload batches (G1→G2, G2→G3: that one once the disk has room or it is full), if any. */
    void flushStaged()
    {
        flushStaged(false);
    }

    /**
     * Submits the staged offload batches; with {@code whateverTheyHold} the G2→G3 batch too however little it holds
     * and whatever the disk's room (settling, stopping).
     */
    private void flushStaged(final boolean whateverTheyHold)
    {
        offloads.flush();
        if (g3 != null)
        {
            if (whateverTheyHold)
            {
                g3.flushNow();
            }
            else
            {
                g3.flush();
            }
        }
        if (g4 != null)
        {
            g4.flush();
        }
    }

    /** Write-through: a block was just registered (new id). */
    void onRegistered(final int slot, final long requestId)
    {
        offloads.onRegistered(slot, requestId);
    }

    /** Write-back: a registered block just lost its last reference. */
    void onInactive(final int slot, final long requestId)
    {
        offloads.onInactive(slot, requestId);
    }

    /**
     * After G1 matched {@code hits} blocks: finds the next blocks in G2 (then G3) and schedules their onboard.
     *
     * @return the number of blocks scheduled (written to slotsOut after the hits), 0 when none or not now.
     */
    int scheduleOnboard(
        final BlockIds ids, final int count, final int hits, final long requestId, final int[] slotsOut,
        final Onboard onboard)
    {
        return onboards.schedule(ids, count, hits, requestId, slotsOut, onboard);
    }

    /** See {@link io.kvbm4j.api.KvBlockManager#pollOnboard}. */
    int poll(final Onboard onboard, final int[] slotsOut)
    {
        if (!onboard.pending())
        {
            return 0;
        }
        final int record = onboards.record(onboard);
        if (record < 0)
        {
            return Status.INVALID_ARGUMENT;
        }
        flushStaged();
        drain();
        return onboards.collect(record, onboard, slotsOut);
    }

    /**
     * Polls until finished or the deadline; between polls it parks briefly (the caller chose to wait), or, on
     * an invoker, runs the transfer engine's duty cycle itself.
     */
    int await(final Onboard onboard, final int[] slotsOut, final long timeoutNanos)
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true)
        {
            final int r = poll(onboard, slotsOut);
            if (r != Status.NOT_READY || System.nanoTime() - deadline > 0)
            {
                return r;
            }
            pause(20_000);
        }
    }

    /** Between two polls of a waiting caller: the invoker runs a duty cycle, a thread gets time to work. */
    private void pause(final long parkNanos)
    {
        if (engine.invokerMode())
        {
            engine.invoke();
        }
        else
        {
            java.util.concurrent.locks.LockSupport.parkNanos(parkNanos);
        }
    }

    /** Invoker mode (tests): one duty cycle of the transfer engine on this thread. @return the work done. */
    int invoke()
    {
        return engine.invoke();
    }

    /**
     * Waits until every submitted transfer has been applied (onboards waiting for their caller's poll
     * excepted); for tests and tools, never the serving path. @return true when settled in time.
     */
    boolean awaitSettled(final long timeout, final TimeUnit unit)
    {
        flushStaged(true);
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true)
        {
            drain();
            flushStaged(true); // applying G1→G2 offloads stages G2→G3 writes
            if (outstandingUnapplied() == 0)
            {
                return true;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            pause(50_000);
        }
    }

    private int outstandingUnapplied()
    {
        return engine.outstanding() - onboards.readyCount();
    }

    /**
     * Shutdown: the staged batch and queued transfers end CANCELLED, transfers in flight finish or time out,
     * everything that came back is applied, and onboards nobody collected give their references back, so the
     * pools hold no transfer's pin afterwards.
     *
     * @return true when the transfer thread stopped within the timeout (false: it is stuck in a copy and was
     * abandoned; the memory it may still write must not be freed).
     */
    boolean stop(final long timeout, final TimeUnit unit)
    {
        if (ctx.stopped)
        {
            return stoppedCleanly; // a thread abandoned by the first stop may still write memory
        }
        ctx.stopped = true;
        flushStaged(true); // the transfer thread cancels what it has not started
        final boolean ended = engine.stop(timeout, unit);
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (engine.peekCompleted() != null && System.nanoTime() - deadline < 0)
        {
            drain(); // an onboard waits for ring room while the handlers drain
            if (engine.peekCompleted() != null)
            {
                Thread.onSpinWait();
            }
        }
        onboards.releaseUncollected();
        stoppedCleanly = ended;
        return ended;
    }
}
