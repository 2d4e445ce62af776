package io.kvbm4j.observe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.kvbm4j.api.Counter;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.metrics.TransferLatencies;
import io.kvbm4j.observe.Observability;
import io.kvbm4j.observe.TestSupport;
import io.kvbm4j.observe.TinyServing;

/**
 * A real Prometheus server (Debian's package, installed by deps/30-prometheus.sh) scrapes /metrics on a
 * loopback port, and the values read back through its query API are the engine's.
 */
class PrometheusScrapeTest
{
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void prometheusScrapesEngineCountersAndAnswersThemThroughItsQueryApi(@TempDir final Path dir) throws Exception
    {
        final Path prometheus = Path.of("/usr/bin/prometheus");
        assertTrue(Files.isExecutable(prometheus), prometheus + " is missing: run make deps (deps/30-prometheus.sh " +
            "installs Debian's prometheus package)");
        final int metricsPort = TestSupport.freePort();
        final Map<String, String> set = TestSupport.smallTiers();
        set.put("metrics.port", Integer.toString(metricsPort));
        set.put("metrics.mrc-rate", "1");
        final EngineConfig config = ConfigLoader.withOverrides(null, set);
        final Engines.Builder builder = Engines.builder(config);
        try (Observability observe = Observability.attach(config, builder);
             DefaultKvBlockManager manager = builder.open())
        {
            observe.bind(manager);
            final TinyServing serving = new TinyServing(manager, 5);
            serving.serve(300);
            serving.settle();
            assertEquals(metricsPort, observe.metricsPort());

            final String text = get("http://127.0.0.1:" + metricsPort + "/metrics");
            for (final String family : List.of("kvbm4j_tier_capacity_blocks", "kvbm4j_lookup_blocks_total",
                "kvbm4j_evicted_blocks_total", "kvbm4j_offloaded_bytes_total", "kvbm4j_transfer_blocks_total",
                "kvbm4j_ring_remaining_entries", "kvbm4j_mrc_hit_ratio", "kvbm4j_tier_resident_blocks",
                "kvbm4j_transfer_seconds_bucket"))
            {
                assertTrue(text.contains("\n" + family), family + " missing from /metrics:\n" + text);
            }

            final int promPort = TestSupport.freePort();
            final Path yml = dir.resolve("prometheus.yml");
            Files.writeString(yml, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: kvbm4j",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + metricsPort + "']",
                ""));
            final Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + yml,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + promPort,
                "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try
            {
                final long hits = manager.counters().get(Counter.MATCH_HIT_BLOCKS);
                final long evicted = manager.counters().get(Counter.EVICTED_BLOCKS);
                assertTrue(hits > 0 && evicted > 0, "the run hits and evicts");
                assertEquals(hits, query(promPort, "kvbm4j_lookup_blocks_total{result=\"hit\"}", server, dir));
                assertEquals(evicted, query(promPort, "kvbm4j_evicted_blocks_total{tier=\"G1\"}", server, dir));
                assertEquals(48, query(promPort, "kvbm4j_tier_capacity_blocks{tier=\"G1\"}", server, dir));
                final TransferLatencies lat = manager.transferLatencies();
                long offloads = 0;
                for (int o = 0; o < TransferLatencies.OUTCOMES.length; o++)
                {
                    offloads += lat.count(TransferLatencies.series(0, 0, o));
                }
                assertTrue(offloads > 0, "the run offloads to G2");
                assertEquals(offloads, query(promPort,
                    "sum(kvbm4j_transfer_seconds_count{tier=\"G2\",direction=\"offload\"})", server, dir));
                assertEquals(offloads, query(promPort,
                    "sum(kvbm4j_transfer_seconds_bucket{tier=\"G2\",direction=\"offload\",le=\"+Inf\"})", server,
                    dir));
            }
            finally
            {
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS))
                {
                    server.destroyForcibly();
                }
            }
        }
    }

    /** The value of an instant query, once Prometheus has scraped it (waits up to 180 s for the first scrape). */
    private static long query(final int port, final String promql, final Process server, final Path dir)
        throws Exception
    {
        final String url = "http://127.0.0.1:" + port + "/api/v1/query?query=" +
            URLEncoder.encode(promql, StandardCharsets.UTF_8);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180); // a loaded machine starts it slowly
        String last = "";
        while (System.nanoTime() < deadline)
        {
            assertTrue(server.isAlive(), "prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
            try
            {
                last = get(url);
                final JsonNode result = JSON.readTree(last).path("data").path("result");
                if (result.isArray() && result.size() == 1)
                {
                    return Math.round(Double.parseDouble(result.get(0).path("value").get(1).asText()));
                }
            }
            catch (final IOException ex)
            {
                last = ex.toString(); // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no value for " + promql + " within 180 s; last answer " + last + "; log " +
            Files.readString(dir.resolve("prometheus.log")));
    }

    private static String get(final String url) throws IOException, InterruptedException
    {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
        {
            throw new IOException(url + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
