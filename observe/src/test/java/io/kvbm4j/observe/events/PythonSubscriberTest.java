package io.kvbm4j.observe.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.observe.Observability;
import io.kvbm4j.observe.RingRecorder;
import io.kvbm4j.observe.TestSupport;
import io.kvbm4j.observe.TinyServing;

/**
 * A real subscriber in another process (Python: pyzmq, msgpack, msgspec from .venv) reads a run's KV events
 * the way a vLLM consumer does, live and through replay, and must see exactly the blocks the engine
 * registered, offloaded and evicted, in order, with the right medium per tier and the right hash form.
 */
class PythonSubscriberTest
{
    @Test
    void subscriberDecodesArrayBatchesWithUint64HashesLiveAndByReplay() throws Exception
    {
        run("array", "uint64", true, false);
    }

    /** vLLM 0.33.0's form: the batch an array, its events tagged maps. */
    @Test
    void subscriberDecodesArrayBatchesOfMapEventsWithByteHashesFromAConnectingPublisher() throws Exception
    {
        run("map", "bytes", false, false);
    }

    @Test
    void subscriberDecodesMapBatchesOfMapEventsLiveAndByReplay() throws Exception
    {
        run("map-batch", "uint64", true, false);
    }

    /** Blocks committed with tokens arrive with exactly those token_ids; bare-id blocks with none. */
    @Test
    void subscriberReadsTheTokensOfTokenCommittedBlocksAndNoneForBareIds() throws Exception
    {
        run("array", "uint64", true, true);
    }

    private static void run(final String encoding, final String hash, final boolean publisherBinds,
        final boolean tokens) throws Exception
    {
        final int port = TestSupport.freePort();
        final int replayPort = TestSupport.freePort();
        final Map<String, String> set = new LinkedHashMap<>(TestSupport.smallTiers());
        // bind: the publisher listens and the subscriber connects to 127.0.0.1; connect: the other way round
        set.put("kv-events.endpoint", publisherBinds ? "tcp://*:" + port : "tcp://127.0.0.1:" + port);
        set.put("kv-events.replay-endpoint", "tcp://127.0.0.1:" + replayPort);
        set.put("kv-events.encoding", encoding);
        set.put("kv-events.hash", hash);
        set.put("kv-events.batch-events", "7"); // many batches, some cut by size
        final EngineConfig config = ConfigLoader.withOverrides(null, set);

        final List<String> command = List.of(TestSupport.python().toString(),
            TestSupport.script("kv_events_subscriber.py").toString(),
            "--endpoint", "tcp://127.0.0.1:" + port, "--replay", "tcp://127.0.0.1:" + replayPort,
            "--encoding", encoding, "--hash", hash);
        final List<String> cmd = new ArrayList<>(command);
        if (!publisherBinds)
        {
            cmd.add("--bind");
        }

        final Engines.Builder builder = Engines.builder(config);
        final RingRecorder recorder = new RingRecorder();
        builder.handler(recorder);
        Process python = null;
        try (Observability observe = Observability.attach(config, builder);
             DefaultKvBlockManager manager = builder.open())
        {
            final TinyServing serving = new TinyServing(manager, 11, tokens);
            serving.serve(150); // before the subscriber exists: only replay has these
            serving.settle();
            assertTrue(observe.publisher().batches() > 10, "batches before the subscriber");

            python = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            final Process p = python;
            final Thread reader = new Thread(() -> readLines(p, lines), "python-stdout");
            reader.setDaemon(true);
            reader.start();
            expectLine(lines, "READY", python);
            // Serve until the subscriber has seen a live batch (a SUB socket joins asynchronously).
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            String live = null;
            while (live == null)
            {
                assertTrue(System.nanoTime() < deadline, "the subscriber saw no live batch in 180 s: " + lines);
                serving.serve(5);
                serving.settle();
                live = pollPrefix(lines, "LIVE ", 50);
            }
            serving.serve(150);
            serving.settle();
            final long last = observe.publisher().batches() - 1;
            try (Writer w = new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8))
            {
                w.write("END " + last + "\n");
            }
            assertTrue(python.waitFor(60, TimeUnit.SECONDS), "subscriber did not finish");
            reader.join(5_000);
            final List<String> out = new ArrayList<>(lines);
            assertEquals(0, python.exitValue(), "subscriber failed: " + tail(out));
            assertTrue(out.get(out.size() - 1).startsWith("OK " + (last + 1) + " "), tail(out));

            final List<String> got = new ArrayList<>();
            final int bt = config.blockTokens();
            int withTokens = 0;
            int bare = 0;
            for (final String line : out)
            {
                if (line.startsWith("B "))
                {
                    final String[] f = line.split(" ");
                    got.add(f[2] + " " + f[3] + " " + f[4]);
                    if (f[2].equals("Stored"))
                    {
                        assertEquals(Integer.toString(bt), f[7], "block_size: " + line);
                        final long lo = hash.equals("uint64") ? Long.parseUnsignedLong(f[4]) :
                            Long.parseUnsignedLong(f[4].substring(16), 16);
                        if (f[3].equals("GPU") && serving.committedWithTokens(lo))
                        {
                            final StringBuilder want = new StringBuilder();
                            for (final int t : TinyServing.tokensOf(lo, bt))
                            {
                                want.append(want.length() == 0 ? "" : ",").append(t);
                            }
                            assertEquals(Integer.toString(bt), f[6], "token count of a token commit: " + line);
                            assertEquals(want.toString(), f[8], "token_ids of a token commit: " + line);
                            withTokens++;
                        }
                        else
                        {
                            // bare-id registrations, and copies stored in G2/G3 by transfers
                            assertEquals("0", f[6], "token_ids of a block registered by bare id: " + line);
                            bare++;
                        }
                    }
                }
            }
            assertEquals(0, observe.adapter().tokensLost(), "no tokens lost at this rate");
            assertTrue(!tokens || withTokens > 0 && bare > 0, "both kinds seen: " + withTokens + " with tokens, " +
                bare + " without");
            final List<String> expected = new ArrayList<>();
            int g1Stored = 0;
            int g1Removed = 0;
            int g2Stored = 0;
            int g2Removed = 0;
            for (final RingRecorder.Entry b : recorder.entries())
            {
                final String medium = b.tier() == Tier.G1 ? "GPU" : b.tier() == Tier.G2 ? "CPU" : "DISK";
                final String h = hash.equals("uint64") ? Long.toUnsignedString(b.idLo()) :
                    String.format("%016x%016x", b.idHi(), b.idLo());
                expected.add((b.stored() ? "Stored " : "Removed ") + medium + " " + h);
                if (b.tier() == Tier.G1)
                {
                    g1Stored += b.stored() ? 1 : 0;
                    g1Removed += b.stored() ? 0 : 1;
                }
                else
                {
                    g2Stored += b.stored() ? 1 : 0;
                    g2Removed += b.stored() ? 0 : 1;
                }
            }
            assertTrue(g1Stored > 0 && g1Removed > 0 && g2Stored > 0 && g2Removed > 0,
                "the run stores and evicts in G1 and G2: " + g1Stored + "/" + g1Removed + " " + g2Stored + "/" +
                    g2Removed);
            assertTrue(expected.stream().anyMatch(e -> e.startsWith("Stored GPU ") && hash.equals("uint64") &&
                Long.parseUnsignedLong(e.substring(11)) < 0) || !hash.equals("uint64"),
                "some hash >= 2^63 went out as an unsigned integer");
            assertEquals(expected.size(), got.size(), "blocks in events vs blocks the engine stored/evicted");
            assertEquals(expected, got);
        }
        finally
        {
            if (python != null && python.isAlive())
            {
                python.destroyForcibly();
            }
        }
    }

    private static void readLines(final Process p, final BlockingQueue<String> lines)
    {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                lines.add(line);
            }
        }
        catch (final IOException ex)
        {
            lines.add("READ FAILED " + ex);
        }
    }

    private static void expectLine(final BlockingQueue<String> lines, final String want, final Process p)
        throws InterruptedException
    {
        final String line = lines.poll(60, TimeUnit.SECONDS);
        assertEquals(want, line, "subscriber's first line (alive: " + p.isAlive() + ")");
    }

    private static String pollPrefix(final BlockingQueue<String> lines, final String prefix, final long millis)
        throws InterruptedException
    {
        final String line = lines.poll(millis, TimeUnit.MILLISECONDS);
        if (line == null)
        {
            return null;
        }
        if (!line.startsWith(prefix))
        {
            throw new AssertionError("subscriber said: " + line);
        }
        return line;
    }

    private static String tail(final List<String> out)
    {
        return String.join("\n", out.subList(Math.max(0, out.size() - 5), out.size()));
    }
}
