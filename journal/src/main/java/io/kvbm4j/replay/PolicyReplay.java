package io.kvbm4j.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Runs every (policy, capacity) pair: either over a {@link CompactTrace} parsed once, fanned out over
 * threads (one simulator per thread at a time, LRU at every capacity in one {@link LruStackReplay} pass), or
 * over one streaming pass of a trace: each request is parsed once
 * and fed to every simulator. OPT needs one extra pass first, for the next-use index.
 *
 * <p>Simulation time is measured per simulator (parsing excluded), so throughput figures are the
 * policy's own.
 */
public final class PolicyReplay
{
    private PolicyReplay()
    {
    }

    /**
     * @param progress receives bytes read after each request (may be null).
     */
    public static List<ReplayResult> run(
        final Supplier<TraceReader> trace, final List<PolicyKind> policies, final int[] capacities,
        final LongConsumer progress)
    {
        NextUseIndex future = null;
        for (final PolicyKind p : policies)
        {
            if (p.needsFuture())
            {
                future = NextUseIndex.build(trace);
                break;
            }
        }
        final List<PolicySimulator> sims = new ArrayList<>();
        for (final PolicyKind p : policies)
        {
            for (final int c : capacities)
            {
                sims.add(new PolicySimulator(p.cliName(), c, p::create, p.needsFuture() ? future : null));
            }
        }
        final long[] nanos = new long[sims.size()];
        final TraceRequest req = new TraceRequest();
        try (TraceReader reader = trace.get())
        {
            while (reader.next(req))
            {
                for (int i = 0; i < sims.size(); i++)
                {
                    final long start = System.nanoTime();
                    sims.get(i).access(req.ids);
                    nanos[i] += System.nanoTime() - start;
                }
                if (progress != null)
                {
                    progress.accept(reader.bytesRead());
                }
            }
        }
        final List<ReplayResult> results = new ArrayList<>();
        for (int i = 0; i < sims.size(); i++)
        {
            final PolicySimulator s = sims.get(i);
            results.add(new ReplayResult(s.policyName(), s.capacity(), s.requests(), s.accesses(), s.hits(),
                nanos[i] / 1e9));
            s.close();
        }
        return results;
    }

    /**
     * Replays a parsed trace: LRU at all capacities in one exact stack pass ({@link LruStackReplay}; for one or
     * two capacities a list per capacity, {@link LruListReplay}), OPT per
     * capacity as a greedy interval schedule ({@link OptIntervalReplay}, where the trace's ids name their
     * prefixes; else as a simulator), every other (policy, capacity) as its own {@link DensePolicySimulator}.
     * The runs are spread over {@code threads} threads, the costliest kinds first so the last runs to start
     * are short. Results come in the order of {@code policies} × {@code capacities}. A run stopped through
     * {@code control} keeps the requests it replayed: its {@link ReplayResult#requests()} is then below
     * {@link CompactTrace#requests()}.
     *
     * @param threads worker threads (1: everything on the calling thread).
     */
    public static List<ReplayResult> run(final CompactTrace trace, final List<PolicyKind> policies,
        final int[] capacities, final int threads, final ReplayControl control)
    {
        final boolean optBySchedule = policies.contains(PolicyKind.OPT) && OptIntervalReplay.exactFor(trace);
        final NextUseIndex future = policies.contains(PolicyKind.OPT) && !optBySchedule ?
            NextUseIndex.build(trace) : null;
        final int jobs = policies.size();
        final ReplayResult[][] results = new ReplayResult[jobs][];
        final List<Job> work = new ArrayList<>();
        for (int p = 0; p < jobs; p++)
        {
            final PolicyKind kind = policies.get(p);
            final int pi = p;
            results[p] = new ReplayResult[capacities.length];
            if (kind == PolicyKind.LRU && capacities.length > LRU_LIST_UP_TO)
            {
                work.add(new Job(cost(kind, false), () -> lruPass(trace, capacities, control, results[pi])));
                continue;
            }
            for (int c = 0; c < capacities.length; c++)
            {
                final int ci = c;
                if (kind == PolicyKind.LRU)
                {
                    work.add(new Job(cost(kind, true), () -> results[pi][ci] = lruList(trace, capacities[ci], control)));
                }
                else if (kind == PolicyKind.OPT && optBySchedule)
                {
                    work.add(new Job(cost(kind, true), () -> results[pi][ci] = schedule(trace, capacities[ci], control)));
                }
                else
                {
                    work.add(new Job(cost(kind, false),
                        () -> results[pi][ci] = simulate(trace, kind, capacities[ci], future, control)));
                }
            }
        }
        // Stable sort: the costliest first, in the order asked within a kind.
        work.sort((x, y) -> Integer.compare(y.cost, x.cost));
        final Runnable[] tasks = new Runnable[work.size()];
        for (int i = 0; i < tasks.length; i++)
        {
            tasks[i] = work.get(i).task;
        }
        runAll(tasks, threads);
        final List<ReplayResult> out = new ArrayList<>();
        for (final ReplayResult[] perCapacity : results)
        {
            out.addAll(List.of(perCapacity));
        }
        return out;
    }

    /**
     * Up to this many capacities LRU runs as one list per capacity ({@link LruListReplay}, ~0.3 s of CPU on the
     * production-shaped trace), above it as one stack pass for all ({@link LruStackReplay}, ~1 s).
     */
    static final int LRU_LIST_UP_TO = 2;

    /** A run and its relative cost (CPU per run on the production-shaped trace, docs/PERF.md issue 16). */
    private record Job(int cost, Runnable task)
    {
    }

    /** @param cheap OPT as a schedule, LRU as a list. */
    private static int cost(final PolicyKind kind, final boolean cheap)
    {
        return switch (kind)
        {
            case PREFIX -> 60;
            case TINYLFU -> 40;
            case LFUDA -> 17;
            case OPT -> cheap ? 5 : 15;
            case LRU -> cheap ? 3 : 10;
            default -> 20; // a policy added later: in the middle until measured
        };
    }

    /** Runs the tasks on up to {@code threads} threads, each taking the next task when it is done. */
    private static void runAll(final Runnable[] work, final int threads)
    {
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure =
            new java.util.concurrent.atomic.AtomicReference<>();
        final Runnable worker = () ->
        {
            for (int i; (i = next.getAndIncrement()) < work.length && failure.get() == null; )
            {
                try
                {
                    work[i].run();
                }
                catch (final Throwable t)
                {
                    failure.compareAndSet(null, t);
                }
            }
        };
        final int n = Math.max(1, Math.min(threads, work.length));
        final Thread[] pool = new Thread[n - 1];
        for (int t = 0; t < pool.length; t++)
        {
            pool[t] = new Thread(worker, "replay-" + (t + 1));
            pool[t].start();
        }
        worker.run();
        for (final Thread t : pool)
        {
            try
            {
                t.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while replaying", ex);
            }
        }
        final Throwable t = failure.get();
        if (t instanceof RuntimeException re)
        {
            throw re;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
    }

    private static void lruPass(final CompactTrace trace, final int[] capacities, final ReplayControl control,
        final ReplayResult[] into)
    {
        final long start = System.nanoTime();
        final LruStackReplay lru = new LruStackReplay(trace.distinct());
        final int requests = trace.requests();
        for (int r = 0; r < requests && !control.stopped(); r++)
        {
            final int n = trace.length(r);
            lru.access(trace, trace.start(r), n);
            control.add((long)n * capacities.length);
        }
        // One pass served every capacity: each is charged its share of the time.
        final double seconds = (System.nanoTime() - start) / 1e9 / capacities.length;
        for (int c = 0; c < capacities.length; c++)
        {
            into[c] = new ReplayResult(PolicyKind.LRU.cliName(), capacities[c], lru.requests(), lru.accesses(),
                lru.hits(capacities[c]), seconds);
        }
    }

    private static ReplayResult lruList(final CompactTrace trace, final int capacity, final ReplayControl control)
    {
        final long start = System.nanoTime();
        final LruListReplay lru = new LruListReplay(trace, capacity);
        final int requests = trace.requests();
        long pending = 0;
        for (int r = 0; r < requests && !control.stopped(); r++)
        {
            lru.access(r);
            pending += trace.length(r);
            if ((r & 63) == 63)
            {
                control.add(pending);
                pending = 0;
            }
        }
        control.add(pending);
        return new ReplayResult(PolicyKind.LRU.cliName(), capacity, lru.requests(), lru.accesses(), lru.hits(),
            (System.nanoTime() - start) / 1e9);
    }

    private static ReplayResult schedule(final CompactTrace trace, final int capacity, final ReplayControl control)
    {
        final long start = System.nanoTime();
        final OptIntervalReplay opt = new OptIntervalReplay(trace, capacity);
        final int requests = trace.requests();
        long pending = 0;
        for (int r = 0; r < requests && !control.stopped(); r++)
        {
            opt.access(r);
            pending += trace.length(r);
            if ((r & 63) == 63)
            {
                control.add(pending);
                pending = 0;
            }
        }
        control.add(pending);
        return new ReplayResult(PolicyKind.OPT.cliName(), capacity, opt.requests(), opt.accesses(), opt.hits(),
            (System.nanoTime() - start) / 1e9);
    }

    private static ReplayResult simulate(final CompactTrace trace, final PolicyKind kind, final int capacity,
        final NextUseIndex future, final ReplayControl control)
    {
        final long start = System.nanoTime();
        try (DensePolicySimulator sim = new DensePolicySimulator(kind.cliName(), capacity, trace, kind::create,
            kind.needsFuture() ? future : null))
        {
            final int requests = trace.requests();
            long pending = 0;
            for (int r = 0; r < requests && !control.stopped(); r++)
            {
                sim.access(r);
                pending += trace.length(r);
                if ((r & 63) == 63)
                {
                    control.add(pending);
                    pending = 0;
                }
            }
            control.add(pending);
            return new ReplayResult(kind.cliName(), capacity, sim.requests(), sim.accesses(), sim.hits(),
                (System.nanoTime() - start) / 1e9);
        }
    }
}
