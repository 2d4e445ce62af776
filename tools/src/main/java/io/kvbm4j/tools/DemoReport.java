package io.kvbm4j.tools;

import java.nio.file.Path;
import java.util.List;

import org.knowm.xchart.XYChart;

/**
 * The demo's report ({@code demo --report DIR}): report.html with the summary the console shows, hit rate and
 * evictions over the run (hit_rate.png, evictions.png, their data in timeline.csv) and the latency of match and
 * allocate (latency.png and a table).
 */
final class DemoReport
{
    private DemoReport()
    {
    }

    /**
     * @param about what ran (configuration, workload).
     * @return the path of report.html.
     */
    static Path write(final Path dir, final Summary about, final Summary summary, final ServingTimeline timeline,
        final List<HtmlReport.Latency> latencies)
    {
        final HtmlReport report = new HtmlReport(dir, "kvbm4j demo report").summary(about);
        report.heading("Summary").summary(summary);

        final int n = timeline.size();
        final double[] x = new double[n];
        final double[] window = new double[n];
        final double[] cumulative = new double[n];
        final double[] evicted = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = timeline.requests(i);
            window[i] = percentOrZero(timeline.windowHitRate(i));
            cumulative[i] = percentOrZero(timeline.cumulativeHitRate(i));
            evicted[i] = timeline.windowEvictions(i);
        }
        final String per = "per " + Summary.count(timeline.window()) + " requests";
        final XYChart hits = HtmlReport.xyChart("Block hit rate over the run", "requests served", "block hit rate (%)");
        hits.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        hits.addSeries(per, x, window);
        hits.addSeries("since the start", x, cumulative);
        final XYChart evictions = HtmlReport.xyChart("Blocks evicted over the run", "requests served",
            "blocks evicted " + per);
        evictions.getStyler().setYAxisMin(0.0);
        evictions.addSeries(per, x, evicted);

        return report.heading("Over the run")
            .chart(hits, "hit_rate.png", "block hit rate over the run")
            .chart(evictions, "evictions.png", "blocks evicted over the run")
            .file("timeline.csv", timeline.csv())
            .html("<p>Each point covers the requests since the previous one. Data: " +
                "<a href=\"timeline.csv\">timeline.csv</a> (running totals).</p>")
            .latency("Call latency on the serving thread", latencies, "latency.png")
            .write();
    }

    private static double percentOrZero(final double rate)
    {
        return Double.isNaN(rate) ? 0.0 : 100.0 * rate;
    }
}
