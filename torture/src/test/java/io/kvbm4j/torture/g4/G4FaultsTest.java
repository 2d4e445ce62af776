package io.kvbm4j.torture.g4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.RemoteCounter;
import io.kvbm4j.remote.RemoteHealth;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;

/**
 * G4 faults at the store level: the remote module's {@link RedisRemoteStore} against a real redis-server, under
 * traffic ({@link G4Traffic}: writes and reads of id-derived payloads, every OK read checked), while the server is
 * killed and restarted, paused (SIGSTOP) and resumed, and while the network to it is slowed by
 * {@link DelayingTcpProxy} (a named double: no {@code tc netem} here). After each: no wrong block, every call
 * answered with a status, the counters say what happened, no destination written after its completion was
 * delivered. The only time bounds are generous guards; nothing asserts how long a call took. Rows go to
 * target/g4-fault-report.txt.
 */
class G4FaultsTest
{
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 48;
    private static final int TIMEOUT_MS = 400;

    static RemoteStore store(final int port)
    {
        return new RedisRemoteStore(RemoteConfig.fromMap(Map.of("g4.backend", "redis", "g4.endpoints", "127.0.0.1:" + port,
            "g4.namespace", "torture", "g4.timeout-ms", Integer.toString(TIMEOUT_MS), "g4.degrade-after-failures", "8",
            "g4.health-interval-ms", "100", "g4.max-in-flight", "64")), new SystemNanoClock());
    }

    private static void report(final String fault, final G4Traffic t) throws IOException
    {
        final String row = fault + ": " + t.summary() + "; quarantined " + t.quarantined() + " (written after delivery " +
            t.untouchedAfterDelivery() + ")";
        System.out.println(row);
        Files.writeString(Path.of("target", "g4-fault-report.txt"), row + "\n", StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
    }

    /** Writes every block, then waits for health (bounded guard) and reads until the tier answers. */
    private static void warm(final G4Traffic t)
    {
        for (int b = 0; b < BLOCKS; b++)
        {
            t.write(b);
            t.drain();
        }
    }

    private static void untilHealthy(final G4Traffic t)
    {
        final long until = System.nanoTime() + 60_000_000_000L;
        while (t.store.health() != RemoteHealth.HEALTHY && System.nanoTime() - until < 0)
        {
            t.idle(20);
        }
        assertEquals(RemoteHealth.HEALTHY, t.store.health(), "the health probe brings the tier back (60 s guard)");
    }

    private static void checkNothingWrong(final G4Traffic t)
    {
        assertEquals(0, t.wrong, "a wrong block was served");
        assertEquals(0, t.untouchedAfterDelivery(), "a destination was written after its completion was delivered");
        assertEquals(0, t.of(t.reads, RemoteStatus.SUBMITTED) + t.of(t.writes, RemoteStatus.SUBMITTED));
    }

    @Test
    void redisKilledUnderTrafficAndRestartedServesNothingWrong() throws Exception
    {
        try (RedisProcess redis = RedisProcess.start("kill"); RemoteStore s = store(redis.port()))
        {
            final G4Traffic t = new G4Traffic(s, BLOCK, BLOCKS, 16, 1);
            warm(t);
            t.run(500);
            final long okBefore = t.of(t.reads, RemoteStatus.OK);
            assertTrue(okBefore > 0, "reads hit before the fault");
            redis.kill();
            t.run(1500);
            t.drain();
            assertTrue(s.counter(RemoteCounter.FAILURES) + s.counter(RemoteCounter.TIMEOUTS) > 0,
                "calls while the server is down end FAILED or TIMED_OUT, counted");
            redis.start(); // same port, no persistence: every block is gone
            untilHealthy(t);
            t.run(1500);
            t.drain();
            assertTrue(t.of(t.reads, RemoteStatus.MISS) > 0, "blocks lost with the server are misses");
            assertTrue(t.of(t.reads, RemoteStatus.OK) > okBefore, "blocks written after the restart hit");
            checkNothingWrong(t);
            report("redis SIGKILL + restart (no persistence)", t);
        }
    }

    @Test
    void redisPausedUnderTrafficTimesOutThenRecovers() throws Exception
    {
        try (RedisProcess redis = RedisProcess.start("pause"); RemoteStore s = store(redis.port()))
        {
            final G4Traffic t = new G4Traffic(s, BLOCK, BLOCKS, 16, 2);
            warm(t);
            t.run(500);
            final long okBefore = t.of(t.reads, RemoteStatus.OK);
            redis.pause();
            try
            {
                t.run(3 * TIMEOUT_MS);
                t.drain(); // every call in flight ends TIMED_OUT at its deadline
            }
            finally
            {
                redis.resume();
            }
            assertTrue(t.of(t.reads, RemoteStatus.TIMED_OUT) + t.of(t.writes, RemoteStatus.TIMED_OUT) > 0,
                "calls to a paused server end TIMED_OUT");
            assertTrue(s.counter(RemoteCounter.TIMEOUTS) > 0);
            untilHealthy(t);
            t.run(1000);
            t.drain();
            assertTrue(t.of(t.reads, RemoteStatus.OK) > okBefore, "the resumed server's blocks are served again");
            checkNothingWrong(t);
            report("redis SIGSTOP " + 3 * TIMEOUT_MS + " ms + SIGCONT", t);
        }
    }

    @Test
    void aSlowNetworkEndsCallsTimedOutAndDropsTheirLateAnswers() throws Exception
    {
        try (RedisProcess redis = RedisProcess.start("slow"); DelayingTcpProxy proxy = new DelayingTcpProxy(redis.port(), 0);
             RemoteStore s = store(proxy.port()))
        {
            final G4Traffic t = new G4Traffic(s, BLOCK, BLOCKS, 16, 3);
            warm(t);
            t.run(500);
            final long okBefore = t.of(t.reads, RemoteStatus.OK);
            proxy.delayMillis = TIMEOUT_MS; // each way: a round trip takes twice the deadline
            t.run(2 * TIMEOUT_MS);
            t.drain();
            assertTrue(t.of(t.reads, RemoteStatus.TIMED_OUT) + t.of(t.writes, RemoteStatus.TIMED_OUT) > 0,
                "calls slower than g4.timeout-ms end TIMED_OUT");
            proxy.delayMillis = 0;
            untilHealthy(t);
            t.idle(3 * TIMEOUT_MS); // the late answers of the timed-out calls arrive and are dropped
            assertTrue(s.counter(RemoteCounter.LATE_ANSWERS) > 0, "late answers counted and dropped");
            t.run(1000);
            t.drain();
            assertTrue(t.of(t.reads, RemoteStatus.OK) > okBefore, "served again at full speed");
            checkNothingWrong(t);
            report("network slowed " + TIMEOUT_MS + " ms each way (delaying proxy double), then restored", t);
        }
    }
}
