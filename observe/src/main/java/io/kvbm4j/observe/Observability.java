package io.kvbm4j.observe;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigException;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.observe.events.KvEventPublisher;
import io.kvbm4j.observe.events.KvEventSettings;
import io.kvbm4j.observe.events.KvEventSink;
import io.kvbm4j.observe.events.ResidencyCounts;
import io.kvbm4j.observe.metrics.EngineMetrics;
import io.kvbm4j.observe.metrics.MetricsSettings;
import io.kvbm4j.observe.mrc.MissRatioCurves;
import io.kvbm4j.observe.ring.RingEventAdapter;
import io.kvbm4j.pipeline.TokenRing;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Wires KV events, metrics and miss-ratio curves into a manager being built, from the {@code kv-events:} and
 * {@code metrics:} sections of its configuration:
 * <pre>
 * Engines.Builder builder = Engines.builder(config);
 * try (Observability observe = Observability.attach(config, builder);   // sockets bound, HTTP listening
 *      DefaultKvBlockManager manager = builder.open())
 * {
 *     observe.bind(manager);                                              // metrics read this manager
 *     ...
 * }
 * </pre>
 * With both sections off, nothing is added to the ring. Sockets and the HTTP port are opened by
 * {@link #attach}, so a bad endpoint or a port in use stops start-up before the engine opens, with a
 * {@link ConfigException} naming the key. One ring handler ({@link RingEventAdapter}) feeds the publisher,
 * the residency counts and the curves; the metrics read counters on scrape.
 */
public final class Observability implements AutoCloseable
{
    private final KvEventPublisher publisher;
    private final ResidencyCounts residency;
    private final MissRatioCurves curves;
    private final EngineMetrics metrics;
    private final HTTPServer server;
    private final RingEventAdapter adapter;

    private Observability(
        final KvEventPublisher publisher, final ResidencyCounts residency, final MissRatioCurves curves,
        final EngineMetrics metrics, final HTTPServer server, final RingEventAdapter adapter)
    {
        this.adapter = adapter;
        this.publisher = publisher;
        this.residency = residency;
        this.curves = curves;
        this.metrics = metrics;
        this.server = server;
    }

    /**
     * Reads the sections, opens the sockets and the HTTP server, adds the ring handler to {@code builder}.
     *
     * @throws ConfigException naming the key (bad value, endpoint that cannot bind, port in use).
     */
    public static Observability attach(final EngineConfig config, final Engines.Builder builder)
    {
        final KvEventSettings events = KvEventSettings.parse(config.section("kv-events"), config.source());
        final MetricsSettings metricsSettings = MetricsSettings.parse(config.section("metrics"), config.source());
        if (!events.enabled() && !metricsSettings.enabled())
        {
            return new Observability(null, null, null, null, null, null);
        }
        KvEventPublisher publisher = null;
        try
        {
            TokenRing tokenRing = null;
            if (events.enabled())
            {
                publisher = new KvEventPublisher(events, config.blockTokens(), config.source());
                if (events.tokenBufferBlocks() > 0)
                {
                    final long tokens = (long)events.tokenBufferBlocks() * config.blockTokens();
                    if (tokens > (1 << 28))
                    {
                        throw new ConfigException(config.source() + ": kv-events.token-buffer-blocks: " +
                            events.tokenBufferBlocks() + " blocks of " + config.blockTokens() + " tokens exceed 2^28 " +
                            "tokens (1 GiB)");
                    }
                    tokenRing = new TokenRing(TokenRing.capacityFor(tokens));
                    builder.tokenRing(tokenRing);
                }
            }
            final ResidencyCounts residency = new ResidencyCounts();
            final List<KvEventSink> sinks = new ArrayList<>();
            if (publisher != null)
            {
                sinks.add(publisher);
            }
            sinks.add(residency);
            MissRatioCurves curves = null;
            if (metricsSettings.mrcRate() > 0)
            {
                final int[] capacities = new int[Tier.values().length];
                capacities[Tier.G1.ordinal()] = config.g1Blocks();
                // G2 (and G3 below it) serve hits only when blocks move: G1 memory configured
                final boolean moves = config.transfers().g1Memory() != TransferSettings.G1Memory.NONE;
                capacities[Tier.G2.ordinal()] = moves ? config.g2Blocks() : 0;
                capacities[Tier.G3.ordinal()] = config.g3() == null ? 0 : config.g3().slotCount();
                curves = new MissRatioCurves(metricsSettings.mrcRate(), 0x6b76626d346aL, capacities, 1_000_000_000L);
                sinks.add(curves);
            }
            final RingEventAdapter adapter = new RingEventAdapter(tokenRing, config.blockTokens(),
                sinks.toArray(new KvEventSink[0]));
            EngineMetrics metrics = null;
            HTTPServer server = null;
            if (metricsSettings.enabled())
            {
                metrics = new EngineMetrics(config, residency, publisher, curves, adapter);
                final PrometheusRegistry registry = new PrometheusRegistry();
                metrics.register(registry);
                try
                {
                    server = HTTPServer.builder().hostname(metricsSettings.bind()).port(metricsSettings.port())
                        .registry(registry).buildAndStart();
                }
                catch (final IOException | RuntimeException ex)
                {
                    throw new ConfigException(config.source() + ": metrics.port: cannot listen on " +
                        metricsSettings.bind() + ":" + metricsSettings.port() + " (metrics.bind, metrics.port): " + ex,
                        ex);
                }
            }
            builder.handler(adapter);
            return new Observability(publisher, residency, curves, metrics, server, adapter);
        }
        catch (final RuntimeException ex)
        {
            if (publisher != null)
            {
                publisher.close();
            }
            throw ex;
        }
    }

    /** Points the metrics at the opened manager. */
    public void bind(final DefaultKvBlockManager manager)
    {
        if (metrics != null)
        {
            metrics.bind(manager);
        }
    }

    /** The publisher, or null when kv-events.endpoint is empty. */
    public KvEventPublisher publisher()
    {
        return publisher;
    }

    /** The ring handler feeding the sinks (token counters), or null when observation is off. */
    public RingEventAdapter adapter()
    {
        return adapter;
    }

    /** The miss-ratio curves, or null when off. */
    public MissRatioCurves curves()
    {
        return curves;
    }

    /** The residency counts, or null when observation is off. */
    public ResidencyCounts residency()
    {
        return residency;
    }

    /** The HTTP port /metrics is served on, or 0 when off. */
    public int metricsPort()
    {
        return server == null ? 0 : server.getPort();
    }

    /** True when anything was attached. */
    public boolean active()
    {
        return residency != null;
    }

    /** Closes the HTTP server and the publisher (after the manager closed: its ring has drained). */
    @Override
    public void close()
    {
        if (server != null)
        {
            server.close();
        }
        if (publisher != null)
        {
            publisher.close();
        }
    }
}
