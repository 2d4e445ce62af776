package io.kvbm4j.tools;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.identity.BlockHasher;

/**
 * One serving node of {@link G4EngineSharingTest}, in a JVM of its own: an engine with G1 (host), G2 and G4 on a
 * real redis-server, its transfer thread running as in production. {@code serve}: computes a prompt's blocks
 * (ids hashed from the tokens under the node's salt), writes their payloads, registers and releases them (write-back
 * to G2, then G4). {@code match}: matches the same prompt with an empty G1 and G2, waits for the onboard and checks
 * every block's bytes. Prints one line of results.
 *
 * <p>Arguments: {@code serve|match PORT TENANT BLOCKS}.
 */
public final class G4SharingNode
{
    private G4SharingNode()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final int n = Integer.parseInt(args[3]);
        final Map<String, String> o = new HashMap<>();
        o.put("model", "tiny-test");
        o.put("tiers.g1-blocks", "32");
        o.put("tiers.g2-blocks", "32");
        o.put("tiers.g1-memory", "host");
        o.put("transfers.admission", "always");
        o.put("identity.tenant", args[2]);
        o.put("g4.backend", "redis");
        o.put("g4.endpoints", "127.0.0.1:" + args[1]);
        o.put("g4.namespace", "sharing-test");
        o.put("g4.index-blocks", "64");
        final EngineConfig config = ConfigLoader.withOverrides(null, o);
        final int blockTokens = config.blockTokens();
        final int[] tokens = new int[n * blockTokens];
        for (int i = 0; i < tokens.length; i++)
        {
            tokens[i] = 1000 + i * 7; // the same prompt on every node
        }
        final BlockIds ids = new BlockIds(n);
        new BlockHasher(config.hash(), blockTokens).hashSequence(config.saltRecord().salt(config.hash()), tokens,
            tokens.length, ids);
        try (DefaultKvBlockManager m = Engines.open(config))
        {
            final EngineReplay.Payloads payloads = new EngineReplay.Payloads(m.g1Memory());
            final int[] slots = new int[n];
            if (mode.equals("serve"))
            {
                check(m.match(ids, n, 1, slots) == 0, "an empty G1");
                check(m.allocate(n, 1, slots) == n, "allocate");
                for (int i = 0; i < n; i++)
                {
                    check(m.fill(slots[i], blockTokens) == blockTokens, "fill");
                    payloads.write(slots[i], ids.hi(i), ids.lo(i));
                    check(m.complete(slots[i], ids, i) == 0, "complete");
                    check(m.register(slots[i]) == slots[i], "register");
                }
                for (int i = n - 1; i >= 0; i--)
                {
                    m.release(slots[i]);
                }
                check(m.awaitTransfers(30, TimeUnit.SECONDS), "write-back settled");
                System.out.println("WROTE " + m.counters().get(Counter.G4_OFFLOADED_BLOCKS) + " FAILED " +
                    m.counters().get(Counter.G4_WRITE_FAILED_BLOCKS));
            }
            else
            {
                final Onboard onboard = new Onboard();
                final int k = m.matchOnboard(ids, n, 2, slots, onboard);
                check(k >= 0, "matchOnboard " + k);
                final int d = onboard.pending() ? m.awaitOnboard(onboard, slots, TimeUnit.SECONDS.toNanos(30)) : 0;
                check(d >= 0, "awaitOnboard " + d);
                int ok = 0;
                for (int i = 0; i < onboard.hits() + d; i++)
                {
                    if (payloads.matches(slots[i], ids.hi(i), ids.lo(i)))
                    {
                        ok++;
                    }
                }
                for (int i = 0; i < onboard.hits() + d; i++)
                {
                    m.release(slots[i]);
                }
                check(m.awaitTransfers(30, TimeUnit.SECONDS), "settled");
                System.out.println("HITS " + onboard.hits() + " ONBOARDED " + d + " BYTES_OK " + ok + " LOOKUPS " +
                    m.counters().get(Counter.G4_LOOKUPS) + " FOUND " + m.counters().get(Counter.G4_LOOKUP_HITS) +
                    " FROM_G4 " + m.counters().get(Counter.G4_ONBOARDED_BLOCKS));
            }
            final String broken = m.checkInvariants();
            check(broken == null, "invariants: " + broken);
        }
    }

    private static void check(final boolean ok, final String what)
    {
        if (!ok)
        {
            System.out.println("FAILED " + what);
            System.exit(3);
        }
    }
}
