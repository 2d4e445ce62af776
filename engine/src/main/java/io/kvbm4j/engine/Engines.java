package io.kvbm4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.history.AccessHistory;
import io.kvbm4j.metadata.MetadataHandler;
import io.kvbm4j.metadata.MetadataStore;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.policy.EvictionPolicy;
import io.kvbm4j.policy.LruEvictionPolicy;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.host.HostSlotMemory;

/**
 * Opens managers. {@code Engines.open(config)} for the defaults; {@link #builder(EngineConfig)} to add ring
 * handlers (one line each) or a clock.
 */
public final class Engines
{
    private Engines()
    {
    }

    /** A manager with the default handlers (metadata store) and the system clock. */
    public static DefaultKvBlockManager open(final EngineConfig config)
    {
        return builder(config).open();
    }

    public static Builder builder(final EngineConfig config)
    {
        return new Builder(config);
    }

    /** Wiring of one manager. */
    public static final class Builder
    {
        private final EngineConfig config;
        private final List<EventHandler<BlockEvent>> handlers = new ArrayList<>();
        private final List<AutoCloseable> closeAfter = new ArrayList<>();
        private EpochNanoClock clock = new OffsetEpochNanoClock(); // System.nanoTime-based: no Instant per call
        private AccessHistory history;
        private IntFunction<EvictionPolicy> g1Policy = LruEvictionPolicy::new;

        private Builder(final EngineConfig config)
        {
            this.config = config;
        }

        /** Adds a ring handler; it runs on its own thread and sees every event in ring order. */
        public Builder handler(final EventHandler<BlockEvent> handler)
        {
            handlers.add(handler);
            return this;
        }

        /**
         * The access history to seed block scores from (for example rebuilt from the journal); by default
         * an empty one sized for the configured tiers.
         */
        public Builder history(final AccessHistory history)
        {
            this.history = history;
            return this;
        }

        /** The G1 eviction policy, made for the tier's slot count (LRU by default). */
        public Builder g1Policy(final IntFunction<EvictionPolicy> policy)
        {
            this.g1Policy = policy;
            return this;
        }

        /** A resource closed by the manager's close(), after the ring has drained (a handler's journal). */
        public Builder closeAfter(final AutoCloseable resource)
        {
            closeAfter.add(resource);
            return this;
        }

        /** The clock stamped on events (tests use a manual one). */
        public Builder clock(final EpochNanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        /**
         * Allocates the pools and host memory, opens the metadata store and starts the ring.
         *
         * @throws java.io.UncheckedIOException when the persisted metadata file cannot be opened.
         */
        public DefaultKvBlockManager open()
        {
            final CounterArray counters = new CounterArray();
            final AccessHistory accessHistory = history != null ? history :
                new AccessHistory(4 * (config.g1Blocks() + config.g2Blocks()));
            final BlockPool g1 = new BlockPool(Tier.G1, config.g1Blocks(), g1Policy.apply(config.g1Blocks()),
                accessHistory);
            BlockPool g2 = null;
            HostSlotMemory g2Memory = null;
            MetadataStore metadata = null;
            try
            {
                if (config.g2Blocks() > 0)
                {
                    g2Memory = new HostSlotMemory(config.g2Blocks(), config.layout().blockBytes());
                    g2 = new BlockPool(Tier.G2, config.g2Blocks(), new LruEvictionPolicy(config.g2Blocks()),
                        accessHistory);
                }
                metadata = new MetadataStore(config.metadataMaxEntries(), config.metadataPersistTo());
                final List<EventHandler<BlockEvent>> all = new ArrayList<>();
                all.add(new MetadataHandler(metadata, counters, config.layout().blockBytes()));
                all.addAll(handlers);
                final EventPipeline pipeline = new EventPipeline(
                    config.ringSize(), config.waitStrategy(), all, counters, "kvbm4j");
                return new DefaultKvBlockManager(config, g1, g2, g2Memory, pipeline, metadata, counters, clock,
                    accessHistory, List.copyOf(closeAfter));
            }
            catch (final RuntimeException ex)
            {
                g1.close();
                if (g2 != null)
                {
                    g2.close();
                }
                if (g2Memory != null)
                {
                    g2Memory.close();
                }
                if (metadata != null)
                {
                    metadata.close();
                }
                throw ex;
            }
        }
    }
}
