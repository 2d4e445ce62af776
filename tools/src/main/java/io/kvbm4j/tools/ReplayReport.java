package io.kvbm4j.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import io.kvbm4j.replay.ReplayResult;

/**
 * Writes replay results: the CSV ({@code policy,capacity_blocks,block_hit_rate,gap_closed}) and, for
 * {@code --out}, an HTML page with PNG charts drawn by XChart (hit rate vs capacity per policy, gap
 * closed per policy, and the latency histogram in engine mode).
 */
final class ReplayReport
{
    static final String CSV_HEADER = "policy,capacity_blocks,block_hit_rate,gap_closed";

    private ReplayReport()
    {
    }

    static void writeCsv(final PrintWriter w, final List<ReplayResult> results, final Map<Integer, Double> lru,
        final Map<Integer, Double> opt)
    {
        w.println(CSV_HEADER);
        for (final ReplayResult r : results)
        {
            final Double l = lru.get(r.capacityBlocks());
            final Double o = opt.get(r.capacityBlocks());
            final double gap = l == null || o == null ? Double.NaN : r.gapClosed(l, o);
            w.printf(Locale.ROOT, "%s,%d,%.6f,%s%n", r.policy(), r.capacityBlocks(), r.hitRate(),
                Double.isNaN(gap) ? "" : String.format(Locale.ROOT, "%.6f", gap));
        }
    }

    /** A latency histogram to chart (engine mode). */
    record Latency(String name, Histogram histogram)
    {
    }

    /**
     * Writes report.html, hit_rate.png, gap_closed.png, latency.png (when given) and results.csv.
     *
     * @return the report's path.
     */
    static Path write(final Path dir, final String traceName, final List<ReplayResult> results,
        final Map<Integer, Double> lru, final Map<Integer, Double> opt, final List<Latency> latencies)
    {
        try
        {
            Files.createDirectories(dir);
            final StringWriter csv = new StringWriter();
            try (PrintWriter w = new PrintWriter(csv))
            {
                writeCsv(w, results, lru, opt);
            }
            Files.writeString(dir.resolve("results.csv"), csv.toString());
            final Map<String, List<ReplayResult>> byPolicy = new LinkedHashMap<>();
            for (final ReplayResult r : results)
            {
                byPolicy.computeIfAbsent(r.policy(), k -> new ArrayList<>()).add(r);
            }

            final XYChart hits = new XYChartBuilder().width(900).height(520).title("Block hit rate vs capacity")
                .xAxisTitle("capacity (blocks)").yAxisTitle("block hit rate").build();
            hits.getStyler().setXAxisLogarithmic(true);
            hits.getStyler().setYAxisDecimalPattern("0.00");
            for (final Map.Entry<String, List<ReplayResult>> e : byPolicy.entrySet())
            {
                final double[] x = e.getValue().stream().mapToDouble(ReplayResult::capacityBlocks).toArray();
                final double[] y = e.getValue().stream().mapToDouble(ReplayResult::hitRate).toArray();
                hits.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
            }
            png(hits, dir.resolve("hit_rate.png"));

            final CategoryChart gaps = new CategoryChartBuilder().width(900).height(520)
                .title("Share of the LRU to OPT gap closed").xAxisTitle("capacity (blocks)")
                .yAxisTitle("gap closed").build();
            gaps.getStyler().setYAxisDecimalPattern("0.00");
            boolean anyGap = false;
            for (final Map.Entry<String, List<ReplayResult>> e : byPolicy.entrySet())
            {
                final List<String> x = new ArrayList<>();
                final List<Double> y = new ArrayList<>();
                for (final ReplayResult r : e.getValue())
                {
                    final Double l = lru.get(r.capacityBlocks());
                    final Double o = opt.get(r.capacityBlocks());
                    final double g = l == null || o == null ? Double.NaN : r.gapClosed(l, o);
                    x.add(Integer.toString(r.capacityBlocks()));
                    y.add(Double.isNaN(g) ? 0.0 : g);
                }
                gaps.addSeries(e.getKey(), x, y);
                anyGap = true;
            }
            if (anyGap)
            {
                png(gaps, dir.resolve("gap_closed.png"));
            }

            if (latencies != null && !latencies.isEmpty())
            {
                final XYChart lat = new XYChartBuilder().width(900).height(520).title("Call latency (engine mode)")
                    .xAxisTitle("percentile").yAxisTitle("latency (µs)").build();
                lat.getStyler().setYAxisLogarithmic(true);
                final double[] ps = {50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};
                for (final Latency l : latencies)
                {
                    final double[] y = new double[ps.length];
                    for (int i = 0; i < ps.length; i++)
                    {
                        y[i] = Math.max(0.001, l.histogram().getValueAtPercentile(ps[i]) / 1000.0);
                    }
                    lat.addSeries(l.name(), ps, y).setMarker(SeriesMarkers.CIRCLE);
                }
                png(lat, dir.resolve("latency.png"));
            }

            final Path html = dir.resolve("report.html");
            Files.writeString(html, html(traceName, results, lru, opt, latencies, anyGap));
            return html;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the report to " + dir + ": " + ex.getMessage(), ex);
        }
    }

    private static String html(final String traceName, final List<ReplayResult> results, final Map<Integer, Double> lru,
        final Map<Integer, Double> opt, final List<Latency> latencies, final boolean gapChart)
    {
        final StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kvbm4j replay report</title>\n")
            .append("<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}")
            .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
            .append("th{background:#eee}td:first-child{text-align:left}</style></head><body>\n")
            .append("<h1>kvbm4j replay report</h1>\n<p>Trace: <code>").append(escape(traceName))
            .append("</code><br>Written ").append(ZonedDateTime.now().withNano(0)).append("</p>\n")
            .append("<p>Block hit rate = sum of each request's leading cached run / sum of its blocks. Gap closed = ")
            .append("(policy &minus; LRU) / (OPT &minus; LRU) at the same capacity.</p>\n")
            .append("<img src=\"hit_rate.png\" alt=\"hit rate vs capacity\">\n");
        if (gapChart)
        {
            h.append("<img src=\"gap_closed.png\" alt=\"gap closed\">\n");
        }
        if (latencies != null && !latencies.isEmpty())
        {
            h.append("<img src=\"latency.png\" alt=\"latency\">\n<h2>Latency (µs)</h2>\n<table><tr><th>call</th>")
                .append("<th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>count</th></tr>\n");
            for (final Latency l : latencies)
            {
                final Histogram x = l.histogram();
                h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>" +
                    "<td>%.2f</td><td>%d</td></tr>%n", escape(l.name()), x.getValueAtPercentile(50) / 1e3,
                    x.getValueAtPercentile(99) / 1e3, x.getValueAtPercentile(99.9) / 1e3, x.getMaxValue() / 1e3,
                    x.getTotalCount()));
            }
            h.append("</table>\n");
        }
        h.append("<h2>Results</h2>\n<table><tr><th>policy</th><th>capacity (blocks)</th><th>block hit rate</th>")
            .append("<th>gap closed</th><th>accesses/s</th></tr>\n");
        for (final ReplayResult r : results)
        {
            final Double l = lru.get(r.capacityBlocks());
            final Double o = opt.get(r.capacityBlocks());
            final double g = l == null || o == null ? Double.NaN : r.gapClosed(l, o);
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%,d</td><td>%.4f</td><td>%s</td><td>%,.0f</td></tr>%n",
                escape(r.policy()), r.capacityBlocks(), r.hitRate(),
                Double.isNaN(g) ? "&ndash;" : String.format(Locale.ROOT, "%.3f", g), r.accessesPerSecond()));
        }
        h.append("</table>\n<p>Data: <a href=\"results.csv\">results.csv</a></p>\n</body></html>\n");
        return h.toString();
    }

    private static void png(final org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, final Path file)
        throws IOException
    {
        // getBufferedImage is the one encoder entry point XChart 4.0.3 does not deprecate.
        if (!javax.imageio.ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", file.toFile()))
        {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    private static String escape(final String s)
    {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
