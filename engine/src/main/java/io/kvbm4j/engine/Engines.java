package io.kvbm4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigException;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.gds.disk.DiskTierException;
import io.kvbm4j.gds.disk.SlotIo;
import io.kvbm4j.history.AccessHistory;
import io.kvbm4j.metadata.MetadataHandler;
import io.kvbm4j.metadata.MetadataStore;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pipeline.TokenRing;
import io.kvbm4j.pool.TierPools;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.policy.AdmissionPolicy;
import io.kvbm4j.policy.EvictionPolicies;
import io.kvbm4j.policy.EvictionPolicy;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.cuda.CudaCopier;
import io.kvbm4j.tiers.cuda.CudaDevice;
import io.kvbm4j.tiers.cuda.DeviceSlotMemory;
import io.kvbm4j.tiers.cuda.PinnedHostSlotMemory;
import io.kvbm4j.tiers.host.HostSlotMemory;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.remote.RemoteTier;
import io.kvbm4j.tiers.remote.RemoteTierProvider;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.HostCopier;
import io.kvbm4j.tiers.transfer.TransferEngine;

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
        private IntFunction<EvictionPolicy> g1Policy;
        private SlotMemory g1Memory;
        private BlockCopier copier;
        private NanoClock transferClock = new SystemNanoClock();
        private AdmissionPolicy admission;
        private UnaryOperator<SlotIo> g3IoWrapper = UnaryOperator.identity();
        private boolean transferInvoker;
        private TokenRing tokenRing;
        private RemoteTier g4Store;

        private Builder(final EngineConfig config)
        {
            this.config = config;
        }

        /**
         * The ring that token-carrying commits copy their tokens into, for handlers that send them on (the KV-event
         * publisher); without one those commits keep no tokens.
         */
        public Builder tokenRing(final TokenRing ring)
        {
            this.tokenRing = ring;
            return this;
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

        /** The G1 eviction policy, made for the tier's slot count; overrides {@code tiers.g1-policy}. */
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

        /**
         * G1 memory the inference runtime owns (host slots, or {@code DeviceSlotMemory.external} for device
         * pointers + stride): transfers copy to and from it; the manager never frees it. Overrides
         * {@code tiers.g1-memory}; needs {@code tiers.g2-blocks > 0} and at least g1-blocks slots of the
         * layout's payload size.
         */
        public Builder g1Memory(final SlotMemory memory)
        {
            this.g1Memory = memory;
            return this;
        }

        /** The copy step between G1 and G2 (by default host copies, or CUDA copies for a device G1). */
        public Builder copier(final BlockCopier copier)
        {
            this.copier = copier;
            return this;
        }

        /**
         * Wraps every G3 I/O context ({@link DiskTier#open(DiskTierConfig, UnaryOperator)}): the hook for fault
         * doubles below the disk tier (EIO, short I/O, a stalled device). Identity by default.
         */
        public Builder g3Io(final UnaryOperator<SlotIo> wrapper)
        {
            this.g3IoWrapper = wrapper;
            return this;
        }

        /**
         * The G4 store to use instead of opening one from {@code g4.*} through the {@link RemoteTierProvider} on the
         * classpath (tests: a double, or a store they opened). G4 needs G1 memory and G2, as G3 does; the manager
         * closes the store.
         */
        public Builder g4(final RemoteTier store)
        {
            this.g4Store = store;
            return this;
        }

        /** The clock that transfer deadlines are measured on (tests use a manual one). */
        public Builder transferClock(final NanoClock clock)
        {
            this.transferClock = clock;
            return this;
        }

        /**
         * Tests only: the transfer engine gets no thread of its own; its duty cycle runs on the manager's
         * owner thread when {@code awaitTransfers}/{@code awaitOnboard} (or a test) invoke it, so every
         * transfer step is deterministic. Production keeps the transfer thread.
         */
        public Builder transferInvoker()
        {
            this.transferInvoker = true;
            return this;
        }

        /** Which G1 blocks are copied to G2 (the hot/cold scorer's hook); by default {@code transfers.admission}. */
        public Builder admission(final AdmissionPolicy admission)
        {
            this.admission = admission;
            return this;
        }

        /** The clock stamped on events (tests use a manual one). */
        public Builder clock(final EpochNanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        /**
         * Host slots for a tier, or a start-up error naming the key when the JVM cannot reserve them (direct
         * memory is limited by -XX:MaxDirectMemorySize, by default the heap's maximum).
         */
        private static HostSlotMemory hostMemory(final String key, final int blocks, final long blockBytes)
        {
            try
            {
                return new HostSlotMemory(blocks, blockBytes);
            }
            catch (final OutOfMemoryError e)
            {
                throw new ConfigException(key + ": " + blocks + " blocks of " + blockBytes + " bytes (" +
                    String.format(java.util.Locale.ROOT, "%.1f", blocks * (double)blockBytes / (1L << 30)) +
                    " GiB) of host memory could not be reserved: " + e.getMessage() +
                    "; lower " + key + ", choose a smaller model preset, or raise -XX:MaxDirectMemorySize", e);
            }
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
            final BlockPool g1 = new BlockPool(Tier.G1, config.g1Blocks(),
                (g1Policy != null ? g1Policy : config.g1Policy().factory()).apply(config.g1Blocks()),
                accessHistory);
            final TransferSettings settings = config.transfers();
            final long blockBytes = config.layout().blockBytes();
            BlockPool g2 = null;
            SlotMemory g2Memory = null;
            SlotMemory g1Owned = null;
            CudaDevice cuda = null;
            MetadataStore metadata = null;
            TransferEngine engine = null;
            EventPipeline pipeline = null;
            DiskTier disk = null;
            BlockPool g3 = null;
            RemoteTier remote = g4Store;
            BlockPool g4 = null;
            try
            {
                SlotMemory g1Memory = this.g1Memory;
                if (config.g2Blocks() > 0)
                {
                    if (g1Memory == null && settings.g1Memory() == TransferSettings.G1Memory.DEVICE)
                    {
                        final String reason = CudaDevice.unavailableReason();
                        if (reason != null)
                        {
                            System.getLogger(Engines.class.getName()).log(System.Logger.Level.WARNING,
                                "G1 device tier unavailable: " + reason + "; G1 is slot numbers only, no transfers");
                        }
                        else
                        {
                            cuda = CudaDevice.open(0);
                            g1Owned = new DeviceSlotMemory(cuda, config.g1Blocks(), blockBytes);
                            g2Memory = new PinnedHostSlotMemory(cuda, config.g2Blocks(), blockBytes);
                        }
                    }
                    else if (g1Memory == null && settings.g1Memory() == TransferSettings.G1Memory.HOST)
                    {
                        g1Owned = hostMemory("tiers.g1-blocks", config.g1Blocks(), blockBytes);
                    }
                    if (g1Memory == null)
                    {
                        g1Memory = g1Owned;
                    }
                    if (g2Memory == null)
                    {
                        g2Memory = hostMemory("tiers.g2-blocks", config.g2Blocks(), blockBytes);
                    }
                    // G2 copies are not accesses: no history there, so hot/cold scores count serving only.
                    g2 = new BlockPool(Tier.G2, config.g2Blocks(), config.g2Policy().create(config.g2Blocks()), null);
                }
                else if (g1Memory != null)
                {
                    throw new IllegalArgumentException("g1Memory given but tiers.g2-blocks is 0: nothing to transfer to");
                }
                if (g1Memory != null && (g1Memory.slotCount() < config.g1Blocks() ||
                    g1Memory.payloadBytes() != blockBytes))
                {
                    throw new IllegalArgumentException("g1Memory: " + g1Memory.slotCount() + " slots of " +
                        g1Memory.payloadBytes() + " bytes, need at least " + config.g1Blocks() + " (tiers.g1-blocks) of " +
                        blockBytes + " (the layout's block bytes)");
                }
                if (g1Memory != null && g1Memory.regions() != 1 && g1Memory.regions() != 2 * config.layout().layers())
                {
                    throw new IllegalArgumentException("g1Memory: " + g1Memory.regions() + " regions per block; a " +
                        "layer-separate G1 has one per layer and K/V: " + 2 * config.layout().layers() + " for " +
                        config.layout().model());
                }
                if (g1Memory != null && 2 * RingWriter.entriesFor(settings.batchBlocks()) > config.ringSize())
                {
                    throw new IllegalArgumentException("transfers.batch-blocks: " + settings.batchBlocks() +
                        " needs a ring of at least " + 2 * RingWriter.entriesFor(settings.batchBlocks()) +
                        " entries (two runs of 32 blocks an entry), ring.size is " + config.ringSize());
                }
                final DiskTierConfig g3Config = config.g3();
                if (g3Config != null && g1Memory == null)
                {
                    System.getLogger(Engines.class.getName()).log(System.Logger.Level.WARNING,
                        "G3 configured (g3.slot-count " + g3Config.slotCount() + ") but G1 has no memory, so no " +
                        "transfers run: G3 stays closed");
                }
                else if (g3Config != null)
                {
                    checkDiskAligned(g2Memory);
                    try
                    {
                        disk = DiskTier.open(g3Config, g3IoWrapper);
                    }
                    catch (final DiskTierException ex)
                    {
                        throw new IllegalStateException(ex.getMessage(), ex);
                    }
                    g3 = new BlockPool(Tier.G3, g3Config.slotCount(), EvictionPolicies.LRU.create(g3Config.slotCount()),
                        null);
                    restore(disk, g3, saltId(config), blockBytes, config.blockTokens(), counters);
                }
                final Map<String, String> g4Section = config.section("g4");
                if ((remote != null || !g4Section.getOrDefault("backend", "").isEmpty()) && g1Memory == null)
                {
                    throw new IllegalArgumentException("g4.backend: G4 needs G1 memory (tiers.g1-memory host or device, " +
                        "or Builder.g1Memory) and tiers.g2-blocks > 0: G4 blocks move through G2");
                }
                if (remote == null && !g4Section.getOrDefault("backend", "").isEmpty())
                {
                    remote = RemoteTierProvider.find().open(g4Settings(g4Section));
                }
                if (remote != null)
                {
                    final int index = Integer.parseInt(g4Section.getOrDefault("index-blocks", "65536"));
                    g4 = new BlockPool(Tier.G4, index, EvictionPolicies.LRU.create(index), null);
                    System.getLogger(Engines.class.getName()).log(System.Logger.Level.INFO,
                        "G4 on " + remote.describe() + ", index of " + index + " blocks");
                }
                // One record per block resident anywhere: G1 registrations are bounded by metadata.max-entries (register
                // answers NO_SPACE beyond it), the lower tiers by their capacity.
                metadata = new MetadataStore(config.metadataMaxEntries() + (g2 == null ? 0 : g2.capacity()) +
                    (g3 == null ? 0 : g3.capacity()) + (g4 == null ? 0 : g4.capacity()), config.metadataPersistTo());
                final List<EventHandler<BlockEvent>> all = new ArrayList<>();
                all.add(new MetadataHandler(metadata, counters, blockBytes));
                all.addAll(handlers);
                pipeline = new EventPipeline(config.ringSize(), config.waitStrategy(), all, counters, "kvbm4j");
                final TierPools pools = new TierPools(g1, g2, g3, g4);
                final Sequencer sequencer = new Sequencer(pools, new RingWriter(pipeline, g1.table(), g1.capacity()),
                    counters, clock, config.blockTokens(), config.metadataMaxEntries());
                if (g3 != null)
                {
                    final BlockPool restored = g3;
                    sequencer.writer.onFirstClaim(() -> publishRestored(sequencer, restored)); // on the owner thread
                }
                TierTransfers transfers = null;
                if (g1Memory != null)
                {
                    final int records = settings.maxInFlight() + settings.maxQueued();
                    final BlockCopier copy = copier != null ? copier : defaultCopier(g1Memory, g2Memory, cuda, records);
                    if (!copy.supports(g1Memory, g2Memory) || !copy.supports(g2Memory, g1Memory))
                    {
                        throw new IllegalArgumentException("copier " + copy + " cannot copy between " + g1Memory +
                            " and " + g2Memory);
                    }
                    final int batch = settings.batchBlocks();
                    final G3Copier g3Io = disk == null ? null : new G3Copier(copy, disk,
                        new IdAddressedSlots("G3", g3.capacity(), blockBytes), g2Memory, transferClock, saltId(config), records, batch,
                        settings.verifyG2());
                    final BlockCopier local = g3Io != null ? g3Io : copy;
                    final G4Copier g4Io = remote == null ? null : new G4Copier(local, remote,
                        new IdAddressedSlots("G4", Math.max(g4.capacity(), batch), blockBytes), g2Memory, saltId(config), records, batch,
                        settings.verifyG2());
                    engine = new TransferEngine(settings.maxInFlight(), settings.maxQueued(), batch,
                        g4Io != null ? g4Io : local, transferClock, "kvbm4j", transferInvoker);
                    disk = null; // the transfer engine's copier owns and closes it now
                    remote = null; // likewise the G4 store
                    final AdmissionPolicy admit = admission != null ? admission :
                        settings.admission() == TransferSettings.Admission.ALWAYS ? AdmissionPolicy.ALWAYS :
                            AdmissionPolicy.SEEN_TWICE;
                    transfers = new TierTransfers(sequencer, g1Memory, g2Memory, engine, transferClock, settings, admit,
                        g3Io, g4Io);
                }
                final SlotMemory ownedG1 = g1Owned;
                final CudaDevice device = cuda;
                final Runnable closeMemory = () ->
                {
                    if (ownedG1 != null)
                    {
                        ownedG1.close();
                    }
                    if (device != null)
                    {
                        device.close();
                    }
                };
                final DefaultKvBlockManager manager = new DefaultKvBlockManager(config, sequencer, g1Memory, g2Memory,
                    transfers, pipeline, metadata, accessHistory, List.copyOf(closeAfter), closeMemory, tokenRing);
                return manager;
            }
            catch (final RuntimeException ex)
            {
                if (engine != null)
                {
                    engine.stop(1, java.util.concurrent.TimeUnit.SECONDS);
                }
                if (pipeline != null)
                {
                    pipeline.close(1_000);
                }
                if (disk != null)
                {
                    disk.close();
                }
                if (g3 != null)
                {
                    g3.close();
                }
                if (remote != null)
                {
                    remote.close();
                }
                if (g4 != null)
                {
                    g4.close();
                }
                g1.close();
                if (g2 != null)
                {
                    g2.close();
                }
                if (g2Memory != null)
                {
                    g2Memory.close();
                }
                if (g1Owned != null)
                {
                    g1Owned.close();
                }
                if (cuda != null)
                {
                    cuda.close();
                }
                if (metadata != null)
                {
                    metadata.close();
                }
                throw ex;
            }
        }

        /** The salt id G3 slots carry: the default tenant's salt (its high half). */
        /**
         * Tells the ring about the G3 blocks found on disk at start (STORED G3, flagged RESTORED), so the metadata
         * store and every handler know what G3 holds. Runs on the owner thread's first claim (the ring has a single
         * producer, which need not be the thread that opened the manager); waits for ring room, once.
         */
        private static void publishRestored(final Sequencer sequencer, final BlockPool g3)
        {
            final RingWriter writer = sequencer.writer;
            final int chunk = Math.max(1, writer.maxEntries() / 2) * BlockEvent.RUN;
            int slot = 0;
            while (slot < g3.capacity())
            {
                int n = 0;
                int end = slot;
                while (end < g3.capacity() && n < chunk)
                {
                    if (g3.state(end) == BlockState.REGISTERED)
                    {
                        n++;
                    }
                    end++;
                }
                if (n > 0)
                {
                    while (!writer.claim(RingWriter.entriesFor(n)))
                    {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                    writer.run(BlockEventType.STORED, Tier.G3, 0, sequencer.nextTick(), sequencer.now());
                    for (int s = slot; s < end; s++)
                    {
                        if (g3.state(s) == BlockState.REGISTERED)
                        {
                            writer.add(g3.table(), s, 0, BlockEvent.RESTORED, 0);
                        }
                    }
                    writer.publish();
                }
                slot = end;
            }
        }

        /** The store's settings: the {@code g4:} keys that are set, as {@code g4.*}, less the engine's own index size. */
        static Map<String, String> g4Settings(final Map<String, String> section)
        {
            final Map<String, String> keys = new java.util.TreeMap<>();
            for (final Map.Entry<String, String> e : section.entrySet())
            {
                if (!e.getKey().equals("index-blocks") && !e.getValue().isEmpty())
                {
                    keys.put("g4." + e.getKey(), e.getValue());
                }
            }
            return keys;
        }

        private static long saltId(final EngineConfig config)
        {
            return config.saltRecord().salt(config.hash()).hi();
        }

        /** The disk tier reads and writes G2 slots directly: 4 KiB aligned, whole 4 KiB pages each. */
        private static void checkDiskAligned(final SlotMemory g2Memory)
        {
            final long page = 4096;
            final long needed = (g2Memory.payloadBytes() + page - 1) & -page;
            final long base = g2Memory.address(0);
            final long stride = g2Memory.slotCount() > 1 ? g2Memory.address(1) - base : needed;
            if ((base & (page - 1)) != 0 || (stride & (page - 1)) != 0 || stride < needed)
            {
                throw new IllegalArgumentException("G3 needs G2 slots 4 KiB aligned with a stride of whole pages; " +
                    g2Memory + " has base " + Long.toHexString(base) + ", stride " + stride);
            }
        }

        /**
         * Warm restart: registers what the disk tier found (its id index, verified lazily by every read) in the
         * G3 pool, INACTIVE, as orphans (parents are not on disk). Blocks of another salt or payload size (another
         * model or identity) are dropped from the disk. Runs on the opening thread, before the transfer thread
         * takes the disk tier over.
         */
        private static void restore(
            final DiskTier disk, final BlockPool g3, final long saltId, final long blockBytes, final int blockTokens,
            final CounterArray counters)
        {
            final List<long[]> stale = new ArrayList<>();
            disk.forEachBlock((hi, lo, salt, length) ->
            {
                if (salt != saltId || length != blockBytes || g3.freeCount() == 0 || g3.lookup(hi, lo) >= 0)
                {
                    stale.add(new long[] {hi, lo});
                    return;
                }
                final int slot = g3.allocate(0, 0);
                g3.fill(slot, blockTokens, blockTokens);
                g3.complete(slot, hi, lo, 0, 0, 0, blockTokens);
                g3.release(g3.register(slot, 0));
                counters.increment(io.kvbm4j.api.Counter.G3_RESTORED_BLOCKS);
            });
            for (final long[] id : stale)
            {
                disk.evict(id[0], id[1]);
            }
        }

        private static BlockCopier defaultCopier(
            final SlotMemory g1Memory, final SlotMemory g2Memory, final CudaDevice cuda, final int records)
        {
            if (g1Memory instanceof DeviceSlotMemory)
            {
                final CudaDevice device = cuda != null ? cuda : CudaDevice.open(0);
                return new CudaCopier(device, (DeviceSlotMemory)g1Memory, g2Memory, records);
            }
            return new HostCopier();
        }
    }
}
