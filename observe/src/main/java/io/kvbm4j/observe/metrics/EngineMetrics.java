package io.kvbm4j.observe.metrics;

import java.util.function.ToDoubleFunction;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.observe.events.KvEventPublisher;
import io.kvbm4j.observe.events.ResidencyCounts;
import io.kvbm4j.observe.mrc.MissRatioCurves;
import io.kvbm4j.observe.ring.RingEventAdapter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.kvbm4j.metrics.TransferLatencies;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/**
 * The engine's state as Prometheus metrics ({@code kvbm4j_*}, base units, label {@code tier}). Every value
 * is read when Prometheus scrapes, from counters the engine keeps anyway (release/acquire counters, the ring's
 * cursor, the event stream's residency counts): nothing is added to the serving path.
 *
 * <p>The manager is set once it is open ({@link #bind}); until then the engine families read 0.
 */
public final class EngineMetrics
{
    private final EngineConfig config;
    private final ResidencyCounts residency;
    private final KvEventPublisher publisher;
    private final MissRatioCurves curves;
    private final RingEventAdapter adapter;
    private volatile DefaultKvBlockManager manager;

    public EngineMetrics(
        final EngineConfig config, final ResidencyCounts residency, final KvEventPublisher publisher,
        final MissRatioCurves curves, final RingEventAdapter adapter)
    {
        this.adapter = adapter;
        this.config = config;
        this.residency = residency;
        this.publisher = publisher;
        this.curves = curves;
    }

    /** The manager to read from (set once, after it opened). */
    public void bind(final DefaultKvBlockManager manager)
    {
        this.manager = manager;
    }

    private double counter(final Counter c)
    {
        final DefaultKvBlockManager m = manager;
        if (m == null)
        {
            return 0;
        }
        final EngineCounters counters = m.counters();
        return counters.get(c);
    }

    private double disk(final DiskCounter c)
    {
        final DefaultKvBlockManager m = manager;
        return m == null ? 0 : m.g3Counter(c);
    }

    private int capacity(final Tier tier)
    {
        switch (tier)
        {
            case G1:
                return config.g1Blocks();
            case G2:
                return config.g2Blocks();
            case G3:
                return config.g3() == null ? 0 : config.g3().slotCount();
            case G4: // the G4 index: what this node knows the shared store holds
                return config.section("g4").getOrDefault("backend", "").isEmpty() ? 0 :
                    Integer.parseInt(config.section("g4").getOrDefault("index-blocks", "0"));
            default:
                return 0;
        }
    }

    /** Registers every family in {@code registry}. */
    @SuppressWarnings({"unchecked", "rawtypes"}) // arrays of lambdas, one per label value
    public void register(final PrometheusRegistry registry)
    {
        final long blockBytes = config.layout().blockBytes();
        gauge(registry, "kvbm4j_tier_capacity_blocks", "Blocks each tier holds at most.", "tier",
            new String[] {"G1", "G2", "G3", "G4"}, new ToDoubleFunction[] {
                x -> capacity(Tier.G1), x -> capacity(Tier.G2), x -> capacity(Tier.G3), x -> capacity(Tier.G4)});
        gauge(registry, "kvbm4j_tier_capacity_bytes", "Payload bytes each tier holds at most.", "tier",
            new String[] {"G1", "G2", "G3", "G4"}, new ToDoubleFunction[] {
                x -> (double)capacity(Tier.G1) * blockBytes, x -> (double)capacity(Tier.G2) * blockBytes,
                x -> (double)capacity(Tier.G3) * blockBytes, x -> (double)capacity(Tier.G4) * blockBytes});
        gauge(registry, "kvbm4j_tier_resident_blocks", "Blocks resident (registered, cached or in use) in each " +
                "tier, from the engine's residency events.", "tier",
            new String[] {"G1", "G2", "G3", "G4"}, new ToDoubleFunction[] {
                x -> residency.resident(Tier.G1), x -> residency.resident(Tier.G2), x -> residency.resident(Tier.G3),
                x -> residency.resident(Tier.G4)});
        counter(registry, "kvbm4j_lookup_blocks_total", "Blocks asked for by match, by result in G1.", "result",
            new String[] {"hit", "miss"}, new Counter[] {Counter.MATCH_HIT_BLOCKS, Counter.MATCH_MISS_BLOCKS});
        counter(registry, "kvbm4j_onboarded_blocks_total", "Blocks brought back up from a lower tier (hits there).",
            "tier", new String[] {"G2", "G3", "G4"}, new Counter[] {Counter.ONBOARDED_BLOCKS, Counter.G3_ONBOARDED_BLOCKS,
                Counter.G4_ONBOARDED_BLOCKS});
        counterFn(registry, "kvbm4j_onboarded_bytes_total", "Payload bytes brought back up from a lower tier.",
            "tier", new String[] {"G2", "G3", "G4"}, new ToDoubleFunction[] {
                x -> counter(Counter.ONBOARDED_BLOCKS) * blockBytes,
                x -> counter(Counter.G3_ONBOARDED_BLOCKS) * blockBytes,
                x -> counter(Counter.G4_ONBOARDED_BLOCKS) * blockBytes});
        counter(registry, "kvbm4j_offloaded_blocks_total", "Blocks copied down into a tier (resident there).",
            "tier", new String[] {"G2", "G3", "G4"}, new Counter[] {Counter.OFFLOADED_BLOCKS, Counter.G3_OFFLOADED_BLOCKS,
                Counter.G4_OFFLOADED_BLOCKS});
        counterFn(registry, "kvbm4j_offloaded_bytes_total", "Payload bytes copied down into a tier.", "tier",
            new String[] {"G2", "G3", "G4"}, new ToDoubleFunction[] {
                x -> counter(Counter.OFFLOADED_BLOCKS) * blockBytes,
                x -> counter(Counter.G3_OFFLOADED_BLOCKS) * blockBytes,
                x -> counter(Counter.G4_OFFLOADED_BLOCKS) * blockBytes});
        counter(registry, "kvbm4j_offload_dropped_blocks_total", "Offloads not started (transfer queue full, " +
                "tier full of blocks in use, disk or remote store degraded).", "tier", new String[] {"G2", "G3", "G4"},
            new Counter[] {Counter.OFFLOAD_DROPPED, Counter.G3_OFFLOAD_DROPPED, Counter.G4_OFFLOAD_DROPPED});
        counterFn(registry, "kvbm4j_transfer_blocks_total", "Blocks of finished transfers by outcome.", "outcome",
            new String[] {"DONE", "FAILED", "CANCELLED", "TIMED_OUT"}, new ToDoubleFunction[] {
                x -> counter(Counter.OFFLOADED_BLOCKS) + counter(Counter.ONBOARDED_BLOCKS) +
                    counter(Counter.G3_OFFLOADED_BLOCKS) + counter(Counter.G3_ONBOARDED_BLOCKS) +
                    counter(Counter.G4_OFFLOADED_BLOCKS) + counter(Counter.G4_ONBOARDED_BLOCKS),
                x -> counter(Counter.TRANSFER_FAILED_BLOCKS) + counter(Counter.G3_WRITE_FAILED_BLOCKS) +
                    counter(Counter.G3_READ_FAILED_BLOCKS) + counter(Counter.G4_WRITE_FAILED_BLOCKS) +
                    counter(Counter.G4_READ_FAILED_BLOCKS),
                x -> counter(Counter.TRANSFER_CANCELLED_BLOCKS),
                x -> counter(Counter.TRANSFER_TIMED_OUT_BLOCKS)});
        counter(registry, "kvbm4j_evicted_blocks_total", "Blocks evicted from each tier to make room.", "tier",
            new String[] {"G1", "G2", "G3", "G4"}, new Counter[] {Counter.EVICTED_BLOCKS, Counter.G2_EVICTED_BLOCKS,
                Counter.G3_EVICTED_BLOCKS, Counter.G4_EVICTED_BLOCKS});
        counter(registry, "kvbm4j_checksum_mismatches_total", "Blocks read back whose bytes failed verification " +
                "(dropped, counted as misses).", "tier", new String[] {"G2", "G3", "G4"},
            new Counter[] {Counter.CHECKSUM_MISMATCHES, Counter.G3_CORRUPT_BLOCKS, Counter.G4_CORRUPT_BLOCKS});
        counter(registry, "kvbm4j_refused_operations_total", "Operations refused, by reason.", "reason",
            new String[] {"back_pressured", "no_space", "invalid_state", "invalid_argument"},
            new Counter[] {Counter.BACK_PRESSURED, Counter.NO_SPACE, Counter.INVALID_STATE, Counter.INVALID_ARGUMENT});
        counter(registry, "kvbm4j_ring_events_total", "Events published on the block-event ring.", null, null,
            new Counter[] {Counter.EVENTS_PUBLISHED});
        counter(registry, "kvbm4j_ring_handler_errors_total", "Ring events a handler failed on.", null, null,
            new Counter[] {Counter.HANDLER_ERRORS});
        gauge(registry, "kvbm4j_ring_capacity_entries", "Entries of the block-event ring.", null, null,
            new ToDoubleFunction[] {x -> config.ringSize()});
        gauge(registry, "kvbm4j_ring_remaining_entries", "Free entries of the block-event ring now.", null, null,
            new ToDoubleFunction[] {x ->
            {
                final DefaultKvBlockManager m = manager;
                return m == null ? config.ringSize() : m.ringRemaining();
            }});
        gauge(registry, "kvbm4j_tier_degraded", "1 while a tier refuses I/O after repeated failures.", "tier",
            new String[] {"G3", "G4"}, new ToDoubleFunction[] {x -> disk(DiskCounter.DEGRADED) > 0 ? 1 : 0,
                x ->
                {
                    final DefaultKvBlockManager m = manager;
                    return m != null && m.g4Degraded() ? 1 : 0;
                }});
        registry.register(new TransferSecondsCollector());
        if (publisher != null)
        {
            counterFn(registry, "kvbm4j_kv_event_batches_total", "KV-event batches (ZMQ messages) published.", null,
                null, new ToDoubleFunction[] {x -> publisher.batches()});
            counterFn(registry, "kvbm4j_kv_events_published_total", "KV events (BlockStored, BlockRemoved, " +
                "AllBlocksCleared) published.", null, null, new ToDoubleFunction[] {x -> publisher.events()});
            counterFn(registry, "kvbm4j_kv_event_blocks_total", "Blocks carried by published KV events.", null, null,
                new ToDoubleFunction[] {x -> publisher.blocks()});
            counterFn(registry, "kvbm4j_kv_event_bytes_total", "Payload bytes of published KV-event batches.", null,
                null, new ToDoubleFunction[] {x -> publisher.bytes()});
            counterFn(registry, "kvbm4j_kv_event_batches_dropped_total", "KV-event batches the ZMQ socket refused.",
                null, null, new ToDoubleFunction[] {x -> publisher.droppedBatches()});
            counterFn(registry, "kvbm4j_kv_event_replay_requests_total", "Replay requests answered.", null, null,
                new ToDoubleFunction[] {x -> publisher.replayRequests()});
            counterFn(registry, "kvbm4j_kv_event_token_blocks_total", "Blocks whose BlockStored carried their " +
                "token_ids (committed with tokens).", null, null,
                new ToDoubleFunction[] {x -> adapter == null ? 0 : adapter.tokenBlocks()});
            counterFn(registry, "kvbm4j_kv_event_tokens_lost_blocks_total", "Blocks committed with tokens that went " +
                "out with token_ids [] because the token ring had been overwritten (kv-events.token-buffer-blocks).",
                null, null, new ToDoubleFunction[] {x -> adapter == null ? 0 : adapter.tokensLost()});
        }
        if (curves != null && curves.tiers().length > 0)
        {
            GaugeWithCallback.builder()
                .name("kvbm4j_mrc_hit_ratio")
                .help("Estimated LRU hit ratio of the tiers down to `tier` if that tier were `scale` times its size " +
                    "(SHARDS over the requested blocks).")
                .labelNames("tier", "scale")
                .callback(cb ->
                {
                    final Tier[] tiers = curves.tiers();
                    for (int i = 0; i < tiers.length; i++)
                    {
                        for (int s = 0; s < MissRatioCurves.SCALES.length; s++)
                        {
                            cb.call(curves.hitRatio(i, s), tiers[i].name(), scale(MissRatioCurves.SCALES[s]));
                        }
                    }
                })
                .register(registry);
            GaugeWithCallback.builder().name("kvbm4j_mrc_memory_bytes").help("Heap bytes of the miss-ratio estimator.")
                .callback(cb -> cb.call(curves.memoryBytes())).register(registry);
        }
    }

    /**
     * {@code kvbm4j_transfer_seconds{tier, direction, outcome}}: the engine's {@link TransferLatencies}, read on
     * scrape; series with no transfer are left out.
     */
    private final class TransferSecondsCollector implements Collector
    {
        private final double[] bounds = new double[TransferLatencies.BUCKETS + 1];

        TransferSecondsCollector()
        {
            for (int b = 0; b < TransferLatencies.BUCKETS; b++)
            {
                bounds[b] = TransferLatencies.upperBoundSeconds(b);
            }
            bounds[TransferLatencies.BUCKETS] = Double.POSITIVE_INFINITY;
        }

        @Override
        public MetricSnapshot collect()
        {
            final HistogramSnapshot.Builder h = HistogramSnapshot.builder().name("kvbm4j_transfer_seconds")
                .help("Time from a transfer's submission to its completion (queue, copy, verification), by the lower " +
                    "tier it copies to or from, direction and outcome.");
            final DefaultKvBlockManager m = manager;
            final TransferLatencies latencies = m == null ? null : m.transferLatencies();
            if (latencies != null)
            {
                for (int t = 0; t < TransferLatencies.TIERS.length; t++)
                {
                    for (int d = 0; d < TransferLatencies.DIRECTIONS.length; d++)
                    {
                        for (int o = 0; o < TransferLatencies.OUTCOMES.length; o++)
                        {
                            final int series = TransferLatencies.series(t, d, o);
                            final long[] counts = new long[bounds.length];
                            long n = 0;
                            for (int b = 0; b < counts.length; b++)
                            {
                                counts[b] = latencies.bucket(series, b);
                                n += counts[b];
                            }
                            if (n == 0)
                            {
                                continue;
                            }
                            h.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                                .labels(Labels.of("direction", TransferLatencies.DIRECTIONS[d], "outcome",
                                    TransferLatencies.OUTCOMES[o], "tier", TransferLatencies.TIERS[t].name()))
                                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                                .sum(latencies.sumNanos(series) / 1e9)
                                .build());
                        }
                    }
                }
            }
            return h.build();
        }
    }

    private static String scale(final double s)
    {
        return s == Math.rint(s) ? Long.toString((long)s) : Double.toString(s);
    }

    private void counter(
        final PrometheusRegistry registry, final String name, final String help, final String label,
        final String[] values, final Counter[] counters)
    {
        @SuppressWarnings({"unchecked", "rawtypes"})
        final ToDoubleFunction<Object>[] fns = new ToDoubleFunction[counters.length];
        for (int i = 0; i < counters.length; i++)
        {
            final Counter c = counters[i];
            fns[i] = x -> counter(c);
        }
        counterFn(registry, name, help, label, values, fns);
    }

    private static void counterFn(
        final PrometheusRegistry registry, final String name, final String help, final String label,
        final String[] values, final ToDoubleFunction<Object>[] fns)
    {
        final CounterWithCallback.Builder b = CounterWithCallback.builder().name(name).help(help);
        if (label != null)
        {
            b.labelNames(label);
        }
        b.callback(cb ->
        {
            for (int i = 0; i < fns.length; i++)
            {
                if (label != null)
                {
                    cb.call(fns[i].applyAsDouble(null), values[i]);
                }
                else
                {
                    cb.call(fns[i].applyAsDouble(null));
                }
            }
        }).register(registry);
    }

    private static void gauge(
        final PrometheusRegistry registry, final String name, final String help, final String label,
        final String[] values, final ToDoubleFunction<Object>[] fns)
    {
        final GaugeWithCallback.Builder b = GaugeWithCallback.builder().name(name).help(help);
        if (label != null)
        {
            b.labelNames(label);
        }
        b.callback(cb ->
        {
            for (int i = 0; i < fns.length; i++)
            {
                if (label != null)
                {
                    cb.call(fns[i].applyAsDouble(null), values[i]);
                }
                else
                {
                    cb.call(fns[i].applyAsDouble(null));
                }
            }
        }).register(registry);
    }
}
