package io.kvbm4j.torture.soak;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.tiers.host.HostSlotMemory;

/**
 * The soak's child process for the embedded engine: G1 host slots it owns (so it writes and checks real
 * bytes), G2, and G3 on disk under {@code STATE/g3}, write-through so every registered block goes down to G3.
 * It serves a skewed workload of prefix chains ({@link SoakIds}) whose payloads derive from the ids, checks
 * every block it is handed back, and speaks the soak protocol ({@link SoakProtocol}) on stdout until it is
 * killed. On start (a warm restart after a SIGKILL) it first sweeps every chain and reports what came back.
 *
 * <p>Usage: {@code EngineSoakWorker STATE_DIR SEED [verify-only]}. Only public entry points: the config
 * loader, {@link Engines}, the {@code KvBlockManager} calls and the counters.
 */
public final class EngineSoakWorker
{
    public static final int BLOCK_TOKENS = 32;
    static final int BLOCK_BYTES = BLOCK_TOKENS * 128; // tiny-test: 128 bytes per token
    static final int G1 = 128;
    static final int G2 = 256;
    static final int G3 = 1024;
    private static final long WAIT = TimeUnit.SECONDS.toNanos(30);

    private final DefaultKvBlockManager m;
    private final HostSlotMemory g1;
    private final PrintStream out;
    private final int[] slots = new int[SoakIds.MAX_LENGTH];
    private final int[] fresh = new int[SoakIds.MAX_LENGTH];
    private final Onboard onboard = new Onboard();
    private final BlockIds ids = new BlockIds(SoakIds.MAX_LENGTH);
    private long requestId;
    private long stored;
    private long served;
    private long wrong;
    private long refused;

    private EngineSoakWorker(final DefaultKvBlockManager m, final HostSlotMemory g1, final PrintStream out)
    {
        this.m = m;
        this.g1 = g1;
        this.out = out;
    }

    /** The engine's configuration for a state directory (also used by the fault tests). */
    public static EngineConfig config(final Path g3Root, final int g3Slots, final String... extra)
    {
        final Map<String, String> o = new HashMap<>();
        o.put("model", "tiny-test");
        o.put("block-tokens", Integer.toString(BLOCK_TOKENS));
        o.put("tiers.g1-blocks", Integer.toString(G1));
        o.put("tiers.g2-blocks", Integer.toString(G2));
        o.put("tiers.g1-memory", "host");
        o.put("transfers.offload", "write-through");
        o.put("transfers.admission", "always");
        o.put("transfers.max-queued", "256");
        o.put("g3.slot-count", Integer.toString(g3Slots));
        o.put("g3.root", g3Root.toString());
        for (int i = 0; i < extra.length; i += 2)
        {
            o.put(extra[i], extra[i + 1]);
        }
        return ConfigLoader.withOverrides(null, o);
    }

    public static void main(final String[] args) throws Exception
    {
        final Path state = Path.of(args[0]);
        final long seed = Long.parseLong(args[1]);
        final boolean verifyOnly = args.length > 2 && args[2].equals("verify-only");
        final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            java.nio.charset.StandardCharsets.US_ASCII);
        final EngineConfig config = config(state.resolve("g3"), G3);
        final long t0 = System.nanoTime();
        try (HostSlotMemory g1 = new HostSlotMemory(G1, BLOCK_BYTES);
             DefaultKvBlockManager m = Engines.builder(config).g1Memory(g1).open())
        {
            final long openNanos = System.nanoTime() - t0;
            out.println(SoakProtocol.ready(openNanos, m.counters().get(Counter.G3_RESTORED_BLOCKS)));
            final EngineSoakWorker w = new EngineSoakWorker(m, g1, out);
            w.verifyAll();
            if (verifyOnly)
            {
                m.awaitTransfers(30, TimeUnit.SECONDS);
                return;
            }
            w.serve(new SplittableRandom(seed));
        }
    }

    /** After a restart: every chain matched in full; every block served is checked. */
    private void verifyAll()
    {
        final long servedBefore = served;
        final long wrongBefore = wrong;
        long asked = 0;
        for (int chain = 0; chain < SoakIds.CHAINS; chain++)
        {
            SoakIds.chain(chain, SoakIds.MAX_LENGTH, ids);
            asked += SoakIds.MAX_LENGTH;
            final int k = lookUp(SoakIds.MAX_LENGTH);
            releaseAll(k);
        }
        out.println(SoakProtocol.verify(asked, served - servedBefore, wrong - wrongBefore));
    }

    /** Serves until killed. */
    private void serve(final SplittableRandom random)
    {
        for (long i = 1; ; i++)
        {
            final double u = random.nextDouble();
            final int chain = (int)(SoakIds.CHAINS * u * u); // skewed: low chains are hot
            final int n = 1 + random.nextInt(SoakIds.MAX_LENGTH);
            SoakIds.chain(chain, n, ids);
            final int k = lookUp(n);
            int held = k;
            final int need = n - k;
            if (need > 0)
            {
                final int got = m.allocate(need, requestId, fresh);
                if (got == need)
                {
                    for (int j = 0; j < need; j++)
                    {
                        final int slot = fresh[j];
                        final int index = k + j;
                        BlockPayload.fill(g1.address(slot), BLOCK_BYTES, ids.hi(index), ids.lo(index));
                        int r = m.fill(slot, BLOCK_TOKENS);
                        r = r < 0 ? r : m.complete(slot, ids, index);
                        r = r < 0 ? r : m.register(slot);
                        if (r < 0)
                        {
                            refused++;
                            m.release(slot);
                            break;
                        }
                        slots[held++] = r;
                        stored++;
                        check(r, index); // a dedup hands back the registered block: check it too
                    }
                }
                else
                {
                    refused++;
                }
            }
            releaseAll(held);
            if (i % 64 == 0)
            {
                out.println(SoakProtocol.stat(stored, m.counters().get(Counter.G3_OFFLOADED_BLOCKS), served, wrong,
                    refused));
            }
        }
    }

    /** Matches ids[0..n) through G1, G2 and G3; checks every block handed back; returns how many are held. */
    private int lookUp(final int n)
    {
        requestId++;
        int k = m.matchOnboard(ids, n, requestId, slots, onboard);
        if (k < 0)
        {
            refused++;
            return 0;
        }
        if (onboard.pending())
        {
            final int d = m.awaitOnboard(onboard, slots, WAIT);
            k = onboard.hits() + Math.max(0, d);
            if (d == Status.NOT_READY)
            {
                throw new IllegalStateException("an onboard did not finish in 30 s");
            }
        }
        for (int j = 0; j < k; j++)
        {
            check(slots[j], j);
        }
        return k;
    }

    private void check(final int slot, final int index)
    {
        served++;
        if (!BlockPayload.matches(g1.address(slot), BLOCK_BYTES, ids.hi(index), ids.lo(index)))
        {
            wrong++;
            out.println(SoakProtocol.wrong(ids.hi(index), ids.lo(index), slot));
        }
    }

    private void releaseAll(final int held)
    {
        for (int j = held - 1; j >= 0; j--)
        {
            m.release(slots[j]);
        }
    }
}
