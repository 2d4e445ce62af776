package io.kvbm4j.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * One report: an HTML page ({@value #PAGE}) and the PNG charts and data files it links, in one directory. What
 * the demo and replay reports share: the page frame and style, escaped tables, {@link Summary} rows, the
 * latency chart (HdrHistogram percentiles on a log axis) and its table, PNG encoding.
 *
 * <p>Charts and data files are written as they are added; the page when {@link #write()} is called. A failed
 * write is an {@link UncheckedIOException} naming the directory. Owned by one thread.
 */
final class HtmlReport
{
    static final String PAGE = "report.html";
    /** Percentiles the latency chart plots. */
    private static final double[] PERCENTILES = {50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};
    /** Chart size in pixels. */
    static final int WIDTH = 900;
    static final int HEIGHT = 520;

    /** A latency histogram (nanoseconds) to chart and tabulate. */
    record Latency(String name, Histogram histogram)
    {
    }

    private final Path dir;
    private final StringBuilder page = new StringBuilder();

    /** Starts a report titled {@code title} in {@code dir}, which is created if needed. */
    HtmlReport(final Path dir, final String title)
    {
        this.dir = dir;
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException ex)
        {
            throw failed(ex);
        }
        page.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(title))
            .append("</title>\n")
            .append("<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}")
            .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
            .append("th{background:#eee}td:first-child{text-align:left}td.note{text-align:left;color:#555}</style>")
            .append("</head><body>\n<h1>").append(escape(title)).append("</h1>\n<p>Written ")
            .append(ZonedDateTime.now().withNano(0)).append("</p>\n");
    }

    /** Appends HTML as it is; the caller escapes what it did not write itself. */
    HtmlReport html(final String html)
    {
        page.append(html).append('\n');
        return this;
    }

    HtmlReport heading(final String text)
    {
        return html("<h2>" + escape(text) + "</h2>");
    }

    HtmlReport paragraph(final String text)
    {
        return html("<p>" + escape(text) + "</p>");
    }

    /** Writes {@code chart} as the PNG {@code file} and shows it. */
    HtmlReport chart(final Chart<?, ?> chart, final String file, final String alt)
    {
        try
        {
            // getBufferedImage is the one encoder entry point XChart 4.0.3 does not deprecate.
            if (!ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", dir.resolve(file).toFile()))
            {
                throw new IOException("no PNG writer in this JDK");
            }
        }
        catch (final IOException ex)
        {
            throw failed(ex);
        }
        return html("<img src=\"" + escape(file) + "\" alt=\"" + escape(alt) + "\">");
    }

    /** Writes a data file next to the page (not linked; add a link with {@link #html}). */
    HtmlReport file(final String file, final String content)
    {
        try
        {
            Files.writeString(dir.resolve(file), content);
        }
        catch (final IOException ex)
        {
            throw failed(ex);
        }
        return this;
    }

    /** A table; every cell is escaped; the first column is left-aligned, the others right-aligned. */
    HtmlReport table(final List<String> header, final List<List<String>> rows)
    {
        page.append("<table><tr>");
        for (final String h : header)
        {
            page.append("<th>").append(escape(h)).append("</th>");
        }
        page.append("</tr>\n");
        for (final List<String> row : rows)
        {
            page.append("<tr>");
            for (final String cell : row)
            {
                page.append("<td>").append(escape(cell)).append("</td>");
            }
            page.append("</tr>\n");
        }
        page.append("</table>\n");
        return this;
    }

    /** The rows of a console summary as a table: a heading row for each heading, notes in a last column. */
    HtmlReport summary(final Summary summary)
    {
        page.append("<table>\n");
        for (final Summary.Row r : summary.rows())
        {
            if (r.label() == null)
            {
                continue;
            }
            if (r.value() == null)
            {
                page.append("<tr><th colspan=\"3\">").append(escape(r.label())).append("</th></tr>\n");
                continue;
            }
            page.append("<tr><td>").append(escape(r.label())).append("</td><td>").append(escape(r.value()))
                .append("</td><td class=\"note\">").append(r.note() == null ? "" : escape(r.note()))
                .append("</td></tr>\n");
        }
        page.append("</table>\n");
        return this;
    }

    /**
     * The latency chart ({@code file}) and a p50/p99/p99.9/max table, in µs. The chart plots percentiles as
     * HdrHistogram's plots do, both axes logarithmic: x is N = 1 / (1 - percentile), one call in N is slower (2 is
     * p50, 100 is p99, 1,000 is p99.9), so the tail gets the room.
     */
    HtmlReport latency(final String title, final List<Latency> latencies, final String file)
    {
        final XYChart chart = xyChart(title, "1 in N calls is slower: N = 2 is p50, 100 is p99, 1,000 is p99.9",
            "latency (µs)");
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("#,##0").setYAxisDecimalPattern("#,##0.###");
        final double[] x = new double[PERCENTILES.length];
        for (int i = 0; i < PERCENTILES.length; i++)
        {
            x[i] = 100.0 / (100.0 - PERCENTILES[i]);
        }
        for (final Latency l : latencies)
        {
            final double[] y = new double[PERCENTILES.length];
            for (int i = 0; i < PERCENTILES.length; i++)
            {
                // A log axis cannot show 0.
                y[i] = Math.max(0.001, l.histogram().getValueAtPercentile(PERCENTILES[i]) / 1000.0);
            }
            chart.addSeries(l.name(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        chart(chart, file, title);
        heading("Latency (µs)");
        page.append("<table><tr><th>call</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>count</th></tr>\n");
        for (final Latency l : latencies)
        {
            final Histogram h = l.histogram();
            page.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>" +
                "<td>%.2f</td><td>%,d</td></tr>%n", escape(l.name()), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3,
                h.getTotalCount()));
        }
        page.append("</table>\n");
        return this;
    }

    /** Writes the page. @return its path. */
    Path write()
    {
        final Path file = dir.resolve(PAGE);
        try
        {
            Files.writeString(file, page + "</body></html>\n");
        }
        catch (final IOException ex)
        {
            throw failed(ex);
        }
        return file;
    }

    /** An empty line chart of the report's size. */
    static XYChart xyChart(final String title, final String xTitle, final String yTitle)
    {
        return new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle)
            .build();
    }

    static String escape(final String s)
    {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private UncheckedIOException failed(final IOException ex)
    {
        return new UncheckedIOException("cannot write the report to " + dir + ": " + ex.getMessage(), ex);
    }
}
