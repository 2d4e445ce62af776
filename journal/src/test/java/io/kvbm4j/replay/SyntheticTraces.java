package io.kvbm4j.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Seeded generators of prefix-chained request traces with the structure real KV-cache workloads show,
 * for judging policies on more than the one shared trace. Each request is the list of its block ids,
 * position 0 first; equal ids at equal positions mean an equal prefix, as in the Mooncake format.
 * Time is simulated in abstract units and only orders the requests; the replay sees request order only.
 *
 * <ul>
 *   <li>{@link #chat}: multi-turn chat. Conversations arrive as a Poisson process, each under one of a
 *       few shared system prompts (Zipf-popular, the ranking reshuffled twice during the trace); the
 *       number of turns is Zipf-distributed (most chats are short, a few run long); the gap between
 *       turns is log-normal; some users come back to an old chat much later. Every turn resends the
 *       whole history plus a new user message; the request's last block is partial, so its id is
 *       fresh and never reused (the next turn's block at that position holds more tokens).</li>
 *   <li>{@link #agent}: agentic sessions. Long shared tool/system prefixes (Zipf-popular); sessions
 *       arrive in bursts (batch jobs), take many quick steps (each appends a tool result and an action),
 *       sometimes wait on a slow tool, and sometimes fork into parallel sub-agents that share the
 *       context so far. Block-aligned: a step reuses every block of the previous step.</li>
 *   <li>{@link #scan}: retrieval-augmented requests over a Zipf-popular document corpus (shared system
 *       prompt + document + a fresh question; the popularity reshuffled halfway) mixed with one-off long
 *       inputs (batch summarisation) that are never reused: a scan that LRU lets flush the hot set.</li>
 * </ul>
 * Capacities are fixed fractions (1% .. 64%) of each trace's distinct blocks, so the series spans
 * "almost nothing fits" to "nearly everything fits", like the reference capacities of the shared trace.
 */
final class SyntheticTraces
{
    private static final double[] CAPACITY_FRACTIONS = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64};

    private SyntheticTraces()
    {
    }

    /** A generated trace and the capacities to replay it at. */
    record Trace(String name, List<long[]> requests, int[] capacities)
    {
        Supplier<TraceReader> reader()
        {
            return () -> new ListTraceReader(requests);
        }

        long accesses()
        {
            long n = 0;
            for (final long[] r : requests)
            {
                n += r.length;
            }
            return n;
        }

        int distinctBlocks()
        {
            final Set<Long> ids = new HashSet<>();
            for (final long[] r : requests)
            {
                for (final long id : r)
                {
                    ids.add(id);
                }
            }
            return ids.size();
        }
    }

    static List<Trace> all(final long seed)
    {
        return List.of(chat(seed), agent(seed + 1), scan(seed + 2));
    }

    private static Trace withCapacities(final String name, final List<long[]> requests)
    {
        final Trace draft = new Trace(name, requests, new int[0]);
        final int distinct = draft.distinctBlocks();
        final int[] capacities = new int[CAPACITY_FRACTIONS.length];
        for (int i = 0; i < capacities.length; i++)
        {
            capacities[i] = Math.max(16, (int)Math.round(distinct * CAPACITY_FRACTIONS[i] / 10.0) * 10);
        }
        return new Trace(name, requests, capacities);
    }

    // ---------------------------------------------------------------------------------------------
    // chat

    /** Multi-turn chat; 600 conversations. */
    static Trace chat(final long seed)
    {
        final Random rnd = new Random(seed);
        final Ids ids = new Ids();
        final int prompts = 32;
        final long[][] prompt = new long[prompts][];
        for (int p = 0; p < prompts; p++)
        {
            prompt[p] = ids.fresh(2 + rnd.nextInt(19));
        }
        final Zipf promptRank = new Zipf(prompts, 1.0);
        final int[] promptOfRank = identity(prompts);
        final Zipf turnCount = new Zipf(40, 1.1);
        final int conversations = 600;

        final PriorityQueue<double[]> events = new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
        final List<Conversation> all = new ArrayList<>();
        double t = 0;
        for (int c = 0; c < conversations; c++)
        {
            t += exponential(rnd, 1.0);
            if (c == conversations / 3 || c == 2 * conversations / 3)
            {
                shuffle(promptOfRank, rnd);
            }
            final int p = promptOfRank[promptRank.sample(rnd)];
            all.add(new Conversation(prompt[p], 1 + turnCount.sample(rnd)));
            events.add(new double[] {t, c});
        }
        final List<long[]> requests = new ArrayList<>();
        while (!events.isEmpty())
        {
            final double[] e = events.poll();
            final Conversation conv = all.get((int)e[1]);
            final long[] user = ids.fresh(1 + rnd.nextInt(6));
            final long[] request = new long[conv.system.length + conv.history.size() + user.length + 1];
            int n = 0;
            for (final long id : conv.system)
            {
                request[n++] = id;
            }
            for (final long id : conv.history)
            {
                request[n++] = id;
            }
            for (final long id : user)
            {
                request[n++] = id;
            }
            request[n] = ids.next(); // the partial last block: never reused
            requests.add(request);
            for (final long id : user)
            {
                conv.history.add(id);
            }
            for (final long id : ids.fresh(rnd.nextInt(4))) // the reply's full blocks
            {
                conv.history.add(id);
            }
            conv.turnsLeft--;
            if (conv.history.size() > 150)
            {
                continue;
            }
            if (conv.turnsLeft > 0)
            {
                events.add(new double[] {e[0] + logNormal(rnd, 20, 1.0), e[1]});
            }
            else if (rnd.nextDouble() < 0.1)
            {
                conv.turnsLeft = 1 + turnCount.sample(rnd); // a user comes back to an old chat
                events.add(new double[] {e[0] + logNormal(rnd, 400, 0.8), e[1]});
            }
        }
        return withCapacities("chat", requests);
    }

    // ---------------------------------------------------------------------------------------------
    // agent

    /** Agentic sessions in bursts over long shared tool prefixes; 120 sessions. */
    static Trace agent(final long seed)
    {
        final Random rnd = new Random(seed);
        final Ids ids = new Ids();
        final int prefixes = 12;
        final long[][] prefix = new long[prefixes][];
        for (int p = 0; p < prefixes; p++)
        {
            prefix[p] = ids.fresh(16 + rnd.nextInt(49));
        }
        final Zipf prefixRank = new Zipf(prefixes, 1.2);
        final Zipf waveSize = new Zipf(30, 1.0);

        final List<Agent> agents = new ArrayList<>();
        final PriorityQueue<double[]> events = new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
        double t = 0;
        int sessions = 0;
        while (sessions < 120)
        {
            t += exponential(rnd, 60);
            final int wave = 1 + waveSize.sample(rnd);
            for (int i = 0; i < wave && sessions < 120; i++, sessions++)
            {
                final long[] system = prefix[prefixRank.sample(rnd)];
                final long[] context = new long[320];
                System.arraycopy(system, 0, context, 0, system.length);
                final long[] task = ids.fresh(2 + rnd.nextInt(7));
                System.arraycopy(task, 0, context, system.length, task.length);
                agents.add(new Agent(context, system.length + task.length, 3 + rnd.nextInt(28), true));
                events.add(new double[] {t + rnd.nextDouble() * 5, agents.size() - 1});
            }
        }
        final List<long[]> requests = new ArrayList<>();
        while (!events.isEmpty())
        {
            final double[] e = events.poll();
            final Agent a = agents.get((int)e[1]);
            requests.add(Arrays.copyOf(a.context, a.length));
            a.stepsLeft--;
            final int grow = 2 + rnd.nextInt(6); // a tool result and the next action
            if (a.stepsLeft <= 0 || a.length + grow > a.context.length)
            {
                continue;
            }
            if (a.canFork && rnd.nextDouble() < 0.08)
            {
                final int forks = 2 + rnd.nextInt(2); // parallel sub-agents from the same context
                for (int f = 0; f < forks; f++)
                {
                    final Agent sub = new Agent(Arrays.copyOf(a.context, a.context.length), a.length,
                        2 + rnd.nextInt(7), false);
                    sub.append(ids.fresh(grow));
                    agents.add(sub);
                    events.add(new double[] {e[0] + exponential(rnd, 2), agents.size() - 1});
                }
            }
            a.append(ids.fresh(grow));
            final double wait = rnd.nextDouble() < 0.05 ? exponential(rnd, 200) : exponential(rnd, 2);
            events.add(new double[] {e[0] + wait, e[1]});
        }
        return withCapacities("agent", requests);
    }

    /** One chat: its system prompt and the full blocks of its history so far. */
    private static final class Conversation
    {
        final long[] system;
        final List<Long> history = new ArrayList<>();
        int turnsLeft;

        Conversation(final long[] system, final int turns)
        {
            this.system = system;
            this.turnsLeft = turns;
        }
    }

    /** One agent's context: the blocks it resends on every step. */
    private static final class Agent
    {
        final long[] context;
        int length;
        int stepsLeft;
        final boolean canFork;

        Agent(final long[] context, final int length, final int steps, final boolean canFork)
        {
            this.context = context;
            this.length = length;
            this.stepsLeft = steps;
            this.canFork = canFork;
        }

        void append(final long[] blocks)
        {
            System.arraycopy(blocks, 0, context, length, blocks.length);
            length += blocks.length;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // scan

    /** Retrieval over a Zipf-popular corpus mixed with one-off long scans; 5,000 requests. */
    static Trace scan(final long seed)
    {
        final Random rnd = new Random(seed);
        final Ids ids = new Ids();
        final long[] system = ids.fresh(4);
        final long[] summarizer = ids.fresh(2);
        final int documents = 1500;
        final long[][] doc = new long[documents][];
        for (int d = 0; d < documents; d++)
        {
            doc[d] = ids.fresh(4 + rnd.nextInt(29));
        }
        final Zipf docRank = new Zipf(documents, 0.9);
        final int[] docOfRank = identity(documents);
        final int total = 5000;
        final List<long[]> requests = new ArrayList<>();
        for (int i = 0; i < total; i++)
        {
            if (i == total / 2)
            {
                shuffle(docOfRank, rnd);
            }
            if (rnd.nextDouble() < 0.15)
            {
                final long[] scan = ids.fresh(60 + rnd.nextInt(241));
                final long[] request = new long[summarizer.length + scan.length];
                System.arraycopy(summarizer, 0, request, 0, summarizer.length);
                System.arraycopy(scan, 0, request, summarizer.length, scan.length);
                requests.add(request);
                continue;
            }
            final long[] d = doc[docOfRank[docRank.sample(rnd)]];
            final long[] question = ids.fresh(1 + rnd.nextInt(2));
            final long[] request = new long[system.length + d.length + question.length];
            System.arraycopy(system, 0, request, 0, system.length);
            System.arraycopy(d, 0, request, system.length, d.length);
            System.arraycopy(question, 0, request, system.length + d.length, question.length);
            requests.add(request);
        }
        return withCapacities("scan", requests);
    }

    // ---------------------------------------------------------------------------------------------
    // sampling helpers

    /** Hands out fresh trace ids. */
    private static final class Ids
    {
        private long next;

        long next()
        {
            return next++;
        }

        long[] fresh(final int n)
        {
            final long[] out = new long[n];
            for (int i = 0; i < n; i++)
            {
                out[i] = next++;
            }
            return out;
        }
    }

    /** Zipf over ranks 0..n-1 with exponent s, by inverse CDF. */
    private static final class Zipf
    {
        private final double[] cdf;

        Zipf(final int n, final double s)
        {
            cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += 1 / Math.pow(i + 1, s);
                cdf[i] = sum;
            }
            for (int i = 0; i < n; i++)
            {
                cdf[i] /= sum;
            }
        }

        int sample(final Random rnd)
        {
            final int at = Arrays.binarySearch(cdf, rnd.nextDouble());
            return Math.min(cdf.length - 1, at >= 0 ? at : -at - 1);
        }
    }

    private static double exponential(final Random rnd, final double mean)
    {
        return -mean * Math.log(1 - rnd.nextDouble());
    }

    private static double logNormal(final Random rnd, final double median, final double sigma)
    {
        return median * Math.exp(sigma * rnd.nextGaussian());
    }

    private static int[] identity(final int n)
    {
        final int[] a = new int[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = i;
        }
        return a;
    }

    private static void shuffle(final int[] a, final Random rnd)
    {
        for (int i = a.length - 1; i > 0; i--)
        {
            final int j = rnd.nextInt(i + 1);
            final int x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }
}
