package io.kvbm4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.client.KvClient;
import io.kvbm4j.client.KvServiceException;
import io.kvbm4j.client.Protocol;

/** The service in this JVM, driven through its socket by the Java client. */
class ServiceTest
{
    @TempDir
    static Path dir;

    /** One service for the class (opening an engine costs seconds on a loaded machine); tests use distinct ids. */
    private static KvServer server;
    private static final CachedEpochClock clock = new CachedEpochClock();

    @BeforeAll
    static void start()
    {
        clock.update(1_000);
        server = KvServer.open(TestServers.config(null),
            ServerSettings.defaults(dir.resolve("kv.sock"), dir).withLeaseTtlMs(10_000)
                .withCopyTenants(Set.of("guest")), clock);
    }

    @BeforeEach
    void previousTestsClientsAreReclaimed() throws InterruptedException
    {
        while (server.handlesInUse() > 0)
        {
            Thread.sleep(1); // a closed client's handles go on the serving thread's next cycle
        }
    }

    @AfterAll
    static void stop()
    {
        server.close();
        assertFalse(Files.exists(server.sharedMemory()), "the shared-memory file is deleted on close");
        assertFalse(Files.exists(server.socket()), "the socket file is deleted on close");
    }

    private KvClient connect(final String tenant)
    {
        return KvClient.connect(server.socket(), new KvClient.Hello("tiny-test", tenant));
    }

    /** Stores blocks {@code first..first+n) of the sequence {@code ids} with seeded bytes. @return outcomes. */
    private static int[] store(final KvClient kv, final long[] ids, final int first, final int n, final long seed)
    {
        final long[] part = new long[2 * n];
        System.arraycopy(ids, 2 * first, part, 0, 2 * n);
        final KvClient.Blocks prepared = kv.prepare(first, first > 0 ? ids[2 * first - 2] : 0,
            first > 0 ? ids[2 * first - 1] : 0, part, n);
        final long[] sums = new long[n];
        for (int i = 0; i < n; i++)
        {
            final ByteBuffer slot = kv.slot(prepared.slot(i));
            TestServers.fill(slot, seed, first + i);
            sums[i] = kv.checksum(slot);
        }
        return kv.commit(prepared.handle(), sums, n);
    }

    @Test
    void storedBlocksAreFoundAndLoadedWithTheirBytes()
    {
        try (KvClient kv = connect("a"))
        {
            assertTrue(kv.session().mapped());
            final long[] ids = TestServers.ids(1, 6);
            assertArrayEquals(new int[] {0, 0, 0, 0}, store(kv, ids, 0, 4, 7));
            final KvClient.Lookup hit = kv.lookup(ids, 6);
            assertEquals(4, hit.prefix(), "the stored prefix, not the two blocks never stored");
            final KvClient.Blocks loaded = kv.load(hit.lease(), 1000);
            assertEquals(4, loaded.count());
            for (int i = 0; i < 4; i++)
            {
                assertEquals(TestServers.expected((int)kv.session().blockBytes(), 7, i), kv.slot(loaded.slot(i)));
                assertEquals(loaded.slot(i) * kv.session().stride(), loaded.offsets()[i]);
            }
            kv.release(hit.lease());
            assertEquals(0, server.handlesInUse());
        }
    }

    @Test
    void storingBlocksAfterACachedParentExtendsThePrefix()
    {
        try (KvClient kv = connect("a"))
        {
            final long[] ids = TestServers.ids(2, 5);
            store(kv, ids, 0, 2, 3);
            assertArrayEquals(new int[] {Protocol.STORED, Protocol.STORED, Protocol.STORED}, store(kv, ids, 2, 3, 3));
            final KvClient.Lookup hit = kv.lookup(ids, 5);
            assertEquals(5, hit.prefix());
            kv.release(hit.lease());
        }
    }

    @Test
    void storingAnIdTwiceDeduplicates()
    {
        try (KvClient kv = connect("a"))
        {
            final long[] ids = TestServers.ids(3, 2);
            store(kv, ids, 0, 2, 1);
            assertArrayEquals(new int[] {Protocol.DEDUPLICATED, Protocol.DEDUPLICATED}, store(kv, ids, 0, 2, 1));
        }
    }

    @Test
    void aBlockWhoseChecksumDoesNotMatchIsNeverServed()
    {
        try (KvClient kv = connect("a"))
        {
            final long[] ids = TestServers.ids(4, 2);
            final KvClient.Blocks prepared = kv.prepare(0, 0, 0, ids, 2);
            final long[] sums = new long[2];
            for (int i = 0; i < 2; i++)
            {
                final ByteBuffer slot = kv.slot(prepared.slot(i));
                TestServers.fill(slot, 9, i);
                sums[i] = kv.checksum(slot);
            }
            kv.slot(prepared.slot(0)).put(100, (byte)~kv.slot(prepared.slot(0)).get(100)); // torn write
            assertArrayEquals(new int[] {Protocol.CHECKSUM_MISMATCH, Protocol.STORED}, kv.commit(prepared.handle(), sums, 2));
            assertEquals(0, kv.lookup(ids, 2).prefix(), "block 0 is a miss, so the prefix is empty");
            assertEquals(1, kv.stats().get("service.checksum_mismatches"));
        }
    }

    @Test
    void aTenantNeverSeesNorNamesAnotherTenantsBlocks()
    {
        try (KvClient a = connect("a"); KvClient b = connect("b"))
        {
            final long[] ids = TestServers.ids(5, 3);
            store(a, ids, 0, 3, 5);
            assertEquals(0, b.lookup(ids, 3).prefix(), "the same ids in another tenant are other blocks");
            final KvClient.Lookup own = a.lookup(ids, 3);
            assertEquals(3, own.prefix());
            final KvServiceException foreign = assertThrows(KvServiceException.class, () -> b.load(own.lease(), 0));
            assertEquals(Protocol.E_UNKNOWN_HANDLE, foreign.code());
            assertThrows(KvServiceException.class, () -> b.release(own.lease()));
            assertEquals(3, a.load(own.lease(), 0).count(), "the owner's lease is untouched");
            a.release(own.lease());
        }
    }

    @Test
    void aCopyModeTenantNeverLearnsTheFileAndMovesBytesThroughTheSocket()
    {
        try (KvClient guest = KvClient.connect(server.socket(), new KvClient.Hello("tiny-test", "guest"));
             KvClient other = KvClient.connect(server.socket(), new KvClient.Hello("tiny-test", "guest")
                 .withMode(Protocol.MODE_COPY).withChecksum(Protocol.CHECKSUM_CRC32)))
        {
            assertFalse(guest.session().mapped(), "asked to map, refused: a copy tenant");
            assertEquals("", guest.session().shmPath());
            assertThrows(IllegalStateException.class, () -> guest.slot(0));
            final long[] ids = TestServers.ids(6, 2);
            final KvClient.Blocks prepared = guest.prepare(0, 0, 0, ids, 2);
            assertEquals(0, prepared.offsets()[1], "no offsets into memory it may not map");
            final long[] sums = new long[2];
            for (int i = 0; i < 2; i++)
            {
                final ByteBuffer bytes = TestServers.expected((int)guest.session().blockBytes(), 11, i);
                sums[i] = guest.checksum(bytes);
                guest.write(prepared.handle(), i, bytes);
            }
            assertArrayEquals(new int[] {0, 0}, guest.commit(prepared.handle(), sums, 2));
            final KvClient.Lookup hit = other.lookup(ids, 2);
            assertEquals(2, hit.prefix());
            other.load(hit.lease(), 100);
            for (int i = 0; i < 2; i++)
            {
                final ByteBuffer got = ByteBuffer.allocate((int)other.session().blockBytes());
                other.read(hit.lease(), i, got);
                assertEquals(TestServers.expected(got.capacity(), 11, i), got.flip());
            }
            final KvServiceException past = assertThrows(KvServiceException.class,
                () -> other.read(hit.lease(), 2, ByteBuffer.allocate(16)));
            assertEquals(Protocol.E_OUT_OF_RANGE, past.code());
        }
    }

    @Test
    void aPrefillProcessStoresAndADecodeSessionLoadsByIdDisaggregated()
    {
        final long[] ids = TestServers.ids(7, 8);
        try (KvClient prefill = connect("shared"))
        {
            store(prefill, ids, 0, 8, 21);
        }
        try (KvClient decode = connect("shared"))
        {
            final KvClient.Lookup hit = decode.lookup(ids, 8);
            assertEquals(8, hit.prefix());
            final KvClient.Blocks loaded = decode.load(hit.lease(), 1000);
            for (int i = 0; i < 8; i++)
            {
                assertEquals(TestServers.expected((int)decode.session().blockBytes(), 21, i), decode.slot(loaded.slot(i)));
            }
            decode.release(hit.lease());
        }
    }

    @Test
    void tokensAreHashedWithTheSessionsSaltAndTheirIdsAnswered()
    {
        try (KvClient a = connect("a"); KvClient b = connect("b"))
        {
            final int[] tokens = new int[16 * 3 + 5];
            for (int i = 0; i < tokens.length; i++)
            {
                tokens[i] = 1000 + i;
            }
            final KvClient.Lookup miss = a.lookupTokens(tokens, tokens.length);
            assertEquals(0, miss.prefix());
            assertEquals(3, miss.idCount(), "one id per full block");
            store(a, miss.ids(), 0, 3, 4);
            assertEquals(3, a.lookupTokens(tokens, tokens.length).prefix());
            final KvClient.Lookup otherTenant = b.lookupTokens(tokens, tokens.length);
            assertEquals(0, otherTenant.prefix());
            assertNotEquals(miss.ids()[0], otherTenant.ids()[0], "the salt is part of every id");
        }
    }

    @Test
    void leasesAndPreparedStoresExpireOnTheServicesClock() throws Exception
    {
        try (KvClient kv = connect("a"))
        {
            final long[] ids = TestServers.ids(8, 2);
            store(kv, ids, 0, 2, 1);
            final KvClient.Lookup hit = kv.lookup(ids, 2);
            final KvClient.Blocks prepared = kv.prepare(0, 0, 0, TestServers.ids(9, 2), 2);
            assertEquals(2, server.handlesInUse());
            final long t0 = clock.time();
            clock.update(t0 + 9_999);
            kv.stats(); // a round trip: the serving thread ran a duty cycle at this time
            assertEquals(2, server.handlesInUse(), "not yet expired");
            clock.update(t0 + 10_000 + 10);
            while (server.handlesInUse() > 0)
            {
                Thread.sleep(1); // waits for the serving thread's next expiry pass, no time asserted
            }
            assertEquals(Protocol.E_UNKNOWN_HANDLE,
                assertThrows(KvServiceException.class, () -> kv.load(hit.lease(), 0)).code());
            assertEquals(Protocol.E_UNKNOWN_HANDLE,
                assertThrows(KvServiceException.class, () -> kv.commit(prepared.handle(), new long[2], 2)).code());
            assertTrue(kv.stats().get("service.expired_handles") >= 2);
            assertEquals(2, kv.lookup(ids, 2).prefix(), "expiry released the pins, the blocks stay cached");
        }
    }

    @Test
    void aClientThatDisconnectsLeavesNothingPinned() throws Exception
    {
        final KvClient kv = connect("a");
        final long[] ids = TestServers.ids(10, 3);
        store(kv, ids, 0, 3, 1);
        kv.lookup(ids, 3);
        kv.prepare(3, ids[4], ids[5], TestServers.ids(11, 60), 60);
        assertEquals(2, server.handlesInUse());
        kv.close();
        while (server.handlesInUse() > 0)
        {
            Thread.sleep(1);
        }
        try (KvClient again = connect("a"))
        {
            final KvClient.Blocks all = again.prepare(0, 0, 0, TestServers.ids(12, 61), 61);
            assertEquals(61, all.count(), "the 60 prepared slots came back; 3 cached blocks were evictable");
            again.release(all.handle());
        }
    }

    @Test
    void aVersionMismatchIsRefusedNamingBothVersions()
    {
        final KvServiceException ex = assertThrows(KvServiceException.class, () -> KvClient.connect(server.socket(),
            new KvClient.Hello("tiny-test", "a").withVersionForTests(7)));
        assertEquals(Protocol.E_VERSION, ex.code());
        assertTrue(ex.getMessage().contains("version 7") && ex.getMessage().contains("version 1"), ex.getMessage());
    }

    @Test
    void aModelTheServiceDoesNotServeIsRefused()
    {
        final KvServiceException ex = assertThrows(KvServiceException.class,
            () -> KvClient.connect(server.socket(), new KvClient.Hello("llama-3.1-8b", "a")));
        assertEquals(Protocol.E_LAYOUT, ex.code());
        assertTrue(ex.getMessage().contains("tiny-test"), ex.getMessage());
    }

    @Test
    void badFramesGetAnErrorNamingWhatWasWrongAndOthersCarryOn()
    {
        try (KvClient good = connect("a"); KvClient bad = connect("a"))
        {
            final long[] ids = TestServers.ids(13, 2);
            store(good, ids, 0, 2, 5);
            assertEquals(Protocol.OP_ERROR, bad.sendRaw(frame(42, new byte[3])));
            assertTrue(errorText(bad).contains("unknown op 42"), errorText(bad));
            assertEquals(Protocol.OP_ERROR, bad.sendRaw(frame(Protocol.OP_LOOKUP, new byte[] {0, 0, 0, 0, 5, 0, 0, 0})));
            assertTrue(errorText(bad).contains("LOOKUP of 5 ids needs 80 bytes"), errorText(bad));
            assertEquals(Protocol.OP_ERROR, bad.sendRaw(frame(Protocol.OP_LOAD, new byte[3])));
            assertTrue(errorText(bad).startsWith("LOAD: payload of 3 bytes"), errorText(bad));
            final ByteBuffer huge = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE)
                .putInt(Protocol.OP_STATS).putInt(0).flip();
            assertEquals(Protocol.OP_ERROR, bad.sendRaw(huge));
            assertTrue(errorText(bad).contains("frame length 2147483647 not in"), errorText(bad));
            assertEquals(-1, bad.sendRaw(frame(Protocol.OP_STATS, new byte[0])), "closed after a bad length");
            final KvClient.Lookup hit = good.lookup(ids, 2);
            assertEquals(2, hit.prefix(), "the service and the other client carry on");
            good.release(hit.lease());
            assertTrue(good.stats().get("service.bad_frames") >= 2);
        }
    }

    /** Fuzz finding (torture ServiceFrameFuzzTest): offset + length wrapped negative and killed the serving thread. */
    @Test
    void aReadOrWriteWhoseOffsetPlusLengthWrapsIsOutOfRangeAndTheServiceCarriesOn()
    {
        try (KvClient kv = connect("a"))
        {
            final long[] ids = TestServers.ids(17, 2);
            final KvClient.Blocks prepared = kv.prepare(0, 0, 0, ids, 2);
            final KvClient.Lookup none = kv.lookup(TestServers.ids(18, 1), 1);
            assertEquals(0, none.prefix());
            for (final long offset : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 63, Long.MAX_VALUE - 2047})
            {
                final ByteBuffer write = ByteBuffer.allocate(24 + 64).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(prepared.handle()).putInt(0).putLong(offset).putInt(64);
                assertEquals(Protocol.OP_ERROR, kv.sendRaw(frame(Protocol.OP_WRITE, write.array())));
                assertTrue(errorText(kv).startsWith("WRITE: block 0 bytes " + offset + "+64 outside"), errorText(kv));
            }
            kv.release(prepared.handle());
            store(kv, ids, 0, 2, 9);
            final KvClient.Lookup hit = kv.lookup(ids, 2);
            final ByteBuffer read = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(hit.lease()).putInt(1).putLong(Long.MAX_VALUE).putInt(64);
            assertEquals(Protocol.OP_ERROR, kv.sendRaw(frame(Protocol.OP_READ, read.array())));
            assertEquals(Protocol.E_OUT_OF_RANGE, kv.lastReply().getShort(), errorText(kv));
            final KvClient.Lookup again = kv.lookup(ids, 2);
            assertEquals(2, again.prefix(), "the serving thread lives and answers");
            kv.release(again.lease());
            kv.release(hit.lease());
        }
    }

    @Test
    void aRequestBeforeHelloIsRefused() throws Exception
    {
        try (java.nio.channels.SocketChannel raw = java.nio.channels.SocketChannel.open(
            java.net.StandardProtocolFamily.UNIX))
        {
            raw.connect(java.net.UnixDomainSocketAddress.of(server.socket()));
            raw.write(frame(Protocol.OP_STATS, new byte[0]));
            final ByteBuffer reply = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
            while (reply.position() < 14)
            {
                raw.read(reply);
            }
            assertEquals(Protocol.OP_ERROR, reply.get(4) & 0xFF);
            assertEquals(Protocol.E_NO_SESSION, reply.getShort(12));
        }
    }

    static ByteBuffer frame(final int op, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(12 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8 + payload.length).put((byte)op).put((byte)0).putShort((short)0).putInt(99).put(payload);
        return b.flip();
    }

    static String errorText(final KvClient kv)
    {
        final ByteBuffer r = kv.lastReply();
        r.getShort();
        final byte[] text = new byte[r.getShort() & 0xFFFF];
        r.get(text);
        return new String(text, java.nio.charset.StandardCharsets.UTF_8);
    }
}
