package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;

import io.kvbm4j.replay.ReplayResult;

/**
 * Writes replay results: the CSV ({@code policy,capacity_blocks,block_hit_rate,gap_closed}) and, for
 * {@code --out}, an {@link HtmlReport} with PNG charts drawn by XChart (hit rate vs capacity per policy, gap
 * closed per policy, and the latency histogram in engine mode).
 */
final class ReplayReport
{
    static final String CSV_HEADER = "policy,capacity_blocks,block_hit_rate,gap_closed";
    /** First line of a CSV written after an interruption (Ctrl-C), which also gets a {@code requests} column. */
    static final String PARTIAL = "# partial:";

    private ReplayReport()
    {
    }

    static void writeCsv(final PrintWriter w, final List<ReplayResult> results, final Map<Integer, Double> lru,
        final Map<Integer, Double> opt)
    {
        writeCsv(w, results, lru, opt, null);
    }

    /**
     * @param partialNote null for a complete replay; else the {@link #PARTIAL} line written first, and every
     *                    row then says how many requests it covers.
     */
    static void writeCsv(final PrintWriter w, final List<ReplayResult> results, final Map<Integer, Double> lru,
        final Map<Integer, Double> opt, final String partialNote)
    {
        if (partialNote != null)
        {
            w.println(partialNote);
        }
        w.println(partialNote == null ? CSV_HEADER : CSV_HEADER + ",requests");
        for (final ReplayResult r : results)
        {
            final double gap = gapClosed(r, lru, opt);
            w.printf(Locale.ROOT, "%s,%d,%.6f,%s%s%n", r.policy(), r.capacityBlocks(), r.hitRate(),
                Double.isNaN(gap) ? "" : String.format(Locale.ROOT, "%.6f", gap),
                partialNote == null ? "" : "," + r.requests());
        }
    }

    /**
     * Writes report.html, hit_rate.png, gap_closed.png, latency.png (when given) and results.csv.
     *
     * @return the report's path.
     */
    static Path write(final Path dir, final String traceName, final List<ReplayResult> results,
        final Map<Integer, Double> lru, final Map<Integer, Double> opt, final List<HtmlReport.Latency> latencies)
    {
        return write(dir, traceName, results, lru, opt, latencies, null);
    }

    static Path write(final Path dir, final String traceName, final List<ReplayResult> results,
        final Map<Integer, Double> lru, final Map<Integer, Double> opt, final List<HtmlReport.Latency> latencies,
        final String partialNote)
    {
        final StringWriter csv = new StringWriter();
        try (PrintWriter w = new PrintWriter(csv))
        {
            writeCsv(w, results, lru, opt, partialNote);
        }
        final HtmlReport report = new HtmlReport(dir, "kvbm4j replay report").file("results.csv", csv.toString())
            .html("<p>Trace: <code>" + HtmlReport.escape(traceName) + "</code></p>")
            .paragraph("Block hit rate = sum of each request's leading cached run / sum of its blocks. Gap closed = " +
                "(policy \u2212 LRU) / (OPT \u2212 LRU) at the same capacity.");
        final Map<String, List<ReplayResult>> byPolicy = new LinkedHashMap<>();
        for (final ReplayResult r : results)
        {
            byPolicy.computeIfAbsent(r.policy(), k -> new ArrayList<>()).add(r);
        }

        final XYChart hits = HtmlReport.xyChart("Block hit rate vs capacity", "capacity (blocks)", "block hit rate");
        hits.getStyler().setXAxisLogarithmic(true);
        hits.getStyler().setYAxisDecimalPattern("0.00");
        for (final Map.Entry<String, List<ReplayResult>> e : byPolicy.entrySet())
        {
            final double[] x = e.getValue().stream().mapToDouble(ReplayResult::capacityBlocks).toArray();
            final double[] y = e.getValue().stream().mapToDouble(ReplayResult::hitRate).toArray();
            hits.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        report.chart(hits, "hit_rate.png", "hit rate vs capacity");

        if (!byPolicy.isEmpty())
        {
            final CategoryChart gaps = new CategoryChartBuilder().width(HtmlReport.WIDTH).height(HtmlReport.HEIGHT)
                .title("Share of the LRU to OPT gap closed").xAxisTitle("capacity (blocks)").yAxisTitle("gap closed")
                .build();
            gaps.getStyler().setYAxisDecimalPattern("0.00");
            for (final Map.Entry<String, List<ReplayResult>> e : byPolicy.entrySet())
            {
                final List<String> x = new ArrayList<>();
                final List<Double> y = new ArrayList<>();
                for (final ReplayResult r : e.getValue())
                {
                    final double g = gapClosed(r, lru, opt);
                    x.add(Integer.toString(r.capacityBlocks()));
                    y.add(Double.isNaN(g) ? 0.0 : g);
                }
                gaps.addSeries(e.getKey(), x, y);
            }
            report.chart(gaps, "gap_closed.png", "gap closed");
        }

        if (latencies != null && !latencies.isEmpty())
        {
            report.latency("Call latency (engine mode)", latencies, "latency.png");
        }

        final List<List<String>> rows = new ArrayList<>();
        for (final ReplayResult r : results)
        {
            final double g = gapClosed(r, lru, opt);
            rows.add(List.of(r.policy(), String.format(Locale.ROOT, "%,d", r.capacityBlocks()),
                String.format(Locale.ROOT, "%.4f", r.hitRate()),
                Double.isNaN(g) ? "\u2013" : String.format(Locale.ROOT, "%.3f", g),
                String.format(Locale.ROOT, "%,.0f", r.accessesPerSecond())));
        }
        return report.heading("Results")
            .table(List.of("policy", "capacity (blocks)", "block hit rate", "gap closed", "accesses/s"), rows)
            .html("<p>Data: <a href=\"results.csv\">results.csv</a></p>")
            .write();
    }

    /** The share of the LRU to OPT gap {@code r} closes at its capacity; NaN without both anchors. */
    private static double gapClosed(final ReplayResult r, final Map<Integer, Double> lru, final Map<Integer, Double> opt)
    {
        final Double l = lru.get(r.capacityBlocks());
        final Double o = opt.get(r.capacityBlocks());
        return l == null || o == null ? Double.NaN : r.gapClosed(l, o);
    }
}
