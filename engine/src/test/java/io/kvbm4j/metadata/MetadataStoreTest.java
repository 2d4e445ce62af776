package io.kvbm4j.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Tier;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.EngineFixture;

class MetadataStoreTest extends EngineFixture
{
    @Test
    void recordsFollowRegistrationReferencesAndEviction()
    {
        final DefaultKvBlockManager m = open(config(4));
        final BlockIds ids = chain(5, 2);
        final int[] held = new int[2];
        store(m, ids, 1, held);
        final int[] again = new int[2];
        assertEquals(2, m.match(ids, 2, 2, again));
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));

        final BlockRecord record = new BlockRecord();
        assertTrue(m.metadata().read(ids.hi(1), ids.lo(1), record));
        assertEquals(BlockState.REGISTERED, record.state());
        assertTrue(record.residentIn(Tier.G1));
        assertFalse(record.residentIn(Tier.G2));
        assertEquals(held[1], record.slot(Tier.G1));
        assertEquals(1, record.refCount(), "as registered: live counts are the block table's");
        assertEquals(1, record.position());
        assertEquals(ids.hi(0), record.parentHi());
        assertEquals(ids.lo(0), record.parentLo());
        assertEquals(m.config().layout().blockBytes(), record.payloadBytes());
        assertEquals(1, record.accessCount(), "as registered");

        releaseAll(m, held, 2);
        releaseAll(m, again, 2);
        final int[] s = new int[4];
        assertEquals(4, m.allocate(4, 3, s), "evicts both cached blocks");
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertFalse(m.metadata().read(ids.hi(1), ids.lo(1), record), "evicted from every tier: record dropped");
        assertEquals(0, m.metadata().size());
        for (final int slot : s)
        {
            m.release(slot);
        }
    }

    @Test
    void evictionFromOneOfTwoTiersKeepsTheRecordWithTheEarnedAccessCount()
    {
        try (MetadataStore store = new MetadataStore(16, null))
        {
            final io.kvbm4j.metrics.CounterArray counters = new io.kvbm4j.metrics.CounterArray();
            final MetadataHandler handler = new MetadataHandler(store, counters, 4096);
            final io.kvbm4j.pipeline.BlockEvent e = new io.kvbm4j.pipeline.BlockEvent();
            oneBlock(e, io.kvbm4j.pipeline.BlockEventType.STORED, Tier.G1, 5, 1, 0, 0);
            handler.onEvent(e, 0, true);
            final BlockRecord record = new BlockRecord();
            assertTrue(store.read(1, 2, record));
            record.slot(Tier.G2.ordinal(), 3); // what an offload will record
            store.write(1, 2, record);
            oneBlock(e, io.kvbm4j.pipeline.BlockEventType.REMOVED, Tier.G1, 5, 0, 9, Tier.G2.bit());
            handler.onEvent(e, 1, true);
            assertTrue(store.read(1, 2, record), "still held by G2");
            assertFalse(record.residentIn(Tier.G1));
            assertTrue(record.residentIn(Tier.G2));
            assertEquals(9, record.accessCount(), "the access count the block earned in G1");
            oneBlock(e, io.kvbm4j.pipeline.BlockEventType.REMOVED, Tier.G2, 3, 0, 9, 0);
            handler.onEvent(e, 2, true);
            assertFalse(store.read(1, 2, record), "no tier holds it: dropped");
            assertEquals(3, counters.get(io.kvbm4j.api.Counter.METADATA_UPDATES));
        }
    }

    /** A run event of one block with id (1, 2). */
    private static void oneBlock(
        final io.kvbm4j.pipeline.BlockEvent e, final io.kvbm4j.pipeline.BlockEventType type, final Tier tier,
        final int slot, final int refs, final int aux, final int otherTiers)
    {
        e.type = type;
        e.tier = tier.ordinal();
        e.requestId = 7;
        e.tick = 1;
        e.count = 1;
        e.slot[0] = slot;
        e.idHi[0] = 1;
        e.idLo[0] = 2;
        e.refCount[0] = refs;
        e.aux[0] = aux;
        e.flags[0] = 0;
        e.otherTiers[0] = otherTiers;
    }

    @Test
    void persistedStoreKeepsRecordsAcrossReopen(@TempDir final Path dir)
    {
        final Path file = dir.resolve("meta/blocks.cm3");
        final BlockIds ids = chain(9, 3);
        final DefaultKvBlockManager m = open(config(16, "metadata.persist-to", file.toString()));
        final int[] held = new int[3];
        store(m, ids, 1, held);
        releaseAll(m, held, 3);
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        m.close();

        try (MetadataStore reopened = new MetadataStore(16, file))
        {
            assertEquals(3, reopened.size());
            final BlockRecord record = new BlockRecord();
            assertTrue(reopened.read(ids.hi(2), ids.lo(2), record));
            assertEquals(2, record.position());
            assertEquals(1, record.refCount(), "as of its registration; a restart holds no references");
        }
    }
}
