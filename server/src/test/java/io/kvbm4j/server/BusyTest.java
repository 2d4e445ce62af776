package io.kvbm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.tiers.host.MappedFileSlotMemory;

/** The I/O threads' hand-over to the serving thread: a full queue is an answer, never a wait. */
class BusyTest
{
    @TempDir
    Path dir;

    @Test
    void aFullRequestQueueAnswersBusyWithoutWaiting()
    {
        final EngineConfig config = TestServers.config(null);
        try (MappedFileSlotMemory memory = MappedFileSlotMemory.create(dir.resolve("m.slots"), config.g1Blocks(),
            config.layout().blockBytes()))
        {
            final DefaultKvBlockManager manager = Engines.builder(config).g1Memory(memory).open();
            try
            {
                // the serving thread is not started: nothing drains the queue of 2
                final Service service = new Service(() -> new EngineSide(manager), memory, config,
                    ServerSettings.defaults(dir.resolve("s.sock"), dir).withQueueCapacity(2), new CachedEpochClock());
                assertTrue(service.offer(new Connection(1, null, service, null)));
                assertTrue(service.offer(new Connection(2, null, service, null)));
                assertFalse(service.offer(new Connection(3, null, service, null)), "full: the I/O thread answers BUSY");
                assertEquals(1, service.stat(Service.Stat.BUSY));
            }
            finally
            {
                manager.close();
            }
        }
    }
}
