package io.kvbm4j.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import io.kvbm4j.replay.CompactTrace;
import io.kvbm4j.replay.LruStackReplay;

/**
 * {@code replay --advise COST.yaml}: tier sizing from a trace and a cost model. One exact LRU stack pass
 * ({@link LruStackReplay}) gives the hit rate of every cache size; the model turns a grid of G1..G4 sizes into
 * hit rates per tier, prefill tokens saved, transfer time paid and price, and picks the best sizes for the
 * budget. Assumptions (docs/REPLAY.md): every tier runs LRU (the engine's default); the hierarchy is
 * inclusive as the engine's is (G2 keeps a copy of what G1 holds, G3 of what enters G2, write-back of every
 * released block), so the tiers up to k hold what one LRU cache of max(C1..Ck) blocks holds, and tier k's
 * hits are the difference of the curve at the running maxima; a hit in a lower tier pays one read of the
 * block at that tier's bandwidth, serially, with no overlap with compute; a hit saves the prefill of the
 * block's tokens at a fixed cost per token. Checked against {@code replay --engine --tiers} by
 * {@code ReplayAdviseTest}.
 */
final class TierAdvisor
{
    static final String[] TIERS = {"g1", "g2", "g3", "g4"};

    /** One tier of the cost model. */
    record Tier(String name, long[] sizesBlocks, double pricePerGib, double readGbps)
    {
    }

    /** The validated cost model. */
    record CostModel(long bytesPerBlock, int blockTokens, double prefillUsPerToken, double budget, List<Tier> tiers)
    {
    }

    /** One grid point's figures. */
    record Point(long[] blocks, double[] hitRate, double tokensSaved, double prefillSecondsSaved,
        double transferSeconds, double price)
    {
        double netSecondsSaved()
        {
            return prefillSecondsSaved - transferSeconds;
        }
    }

    private TierAdvisor()
    {
    }

    /** Reads and validates a cost model; every error names its key. */
    static CostModel load(final Path file)
    {
        final JsonNode root;
        try
        {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(file + ": cannot read the cost model: " + ex.getMessage(), ex);
        }
        if (root == null || !root.isObject())
        {
            throw new IllegalArgumentException(file + ": the cost model must be a YAML mapping (keys model, budget, tiers)");
        }
        onlyKeys(root, "", "model", "budget", "tiers");
        final JsonNode model = required(root, "model");
        onlyKeys(model, "model.", "bytes-per-block", "block-tokens", "prefill-us-per-token");
        final long bytesPerBlock = (long)number(model, "model.bytes-per-block", 1, 1L << 40);
        final int blockTokens = (int)number(model, "model.block-tokens", 1, 1 << 20);
        final double prefill = number(model, "model.prefill-us-per-token", 0, 1e9);
        final double budget = root.has("budget") ? number(root, "budget", 0, 1e18) : Double.POSITIVE_INFINITY;
        final JsonNode tiers = required(root, "tiers");
        onlyKeys(tiers, "tiers.", TIERS);
        final List<Tier> out = new ArrayList<>();
        for (final String name : TIERS)
        {
            if (!tiers.has(name))
            {
                if (name.equals("g1"))
                {
                    throw new IllegalArgumentException("tiers.g1: required");
                }
                break;
            }
            final JsonNode t = tiers.get(name);
            final String k = "tiers." + name + ".";
            onlyKeys(t, k, "sizes-gib", "sizes-blocks", "price-per-gib", "read-gbps");
            if (t.has("sizes-gib") == t.has("sizes-blocks"))
            {
                throw new IllegalArgumentException(k + "sizes-gib or " + k + "sizes-blocks: give exactly one");
            }
            final boolean gib = t.has("sizes-gib");
            final String sizesKey = k + (gib ? "sizes-gib" : "sizes-blocks");
            final JsonNode sizes = t.get(gib ? "sizes-gib" : "sizes-blocks");
            if (!sizes.isArray() || sizes.isEmpty() || sizes.size() > 64)
            {
                throw new IllegalArgumentException(sizesKey + ": a list of 1..64 sizes");
            }
            final long[] blocks = new long[sizes.size()];
            for (int i = 0; i < blocks.length; i++)
            {
                final JsonNode s = sizes.get(i);
                if (!s.isNumber() || s.asDouble() < 0 || s.asDouble() > (gib ? 1 << 30 : 1L << 40))
                {
                    throw new IllegalArgumentException(sizesKey + "[" + i + "]: a number >= 0, got " + s);
                }
                blocks[i] = gib ? (long)Math.floor(s.asDouble() * (1L << 30) / bytesPerBlock) : s.asLong();
                if (name.equals("g1") && blocks[i] < 1)
                {
                    throw new IllegalArgumentException(sizesKey + "[" + i + "]: g1 must hold at least one block");
                }
            }
            final double price = number(t, k + "price-per-gib", 0, 1e12);
            final double gbps = name.equals("g1") ? (t.has("read-gbps") ? number(t, k + "read-gbps", 0, 1e6) : 0) :
                number(t, k + "read-gbps", 1e-6, 1e6);
            out.add(new Tier(name, blocks, price, gbps));
        }
        return new CostModel(bytesPerBlock, blockTokens, prefill, budget, out);
    }

    private static void onlyKeys(final JsonNode node, final String prefix, final String... allowed)
    {
        if (!node.isObject())
        {
            throw new IllegalArgumentException(prefix.isEmpty() ? "the cost model must be a mapping" :
                prefix.substring(0, prefix.length() - 1) + ": must be a mapping");
        }
        for (final Iterator<String> it = node.fieldNames(); it.hasNext(); )
        {
            final String key = it.next();
            if (!List.of(allowed).contains(key))
            {
                throw new IllegalArgumentException(prefix + key + ": unknown key (allowed: " +
                    String.join(", ", allowed) + ")");
            }
        }
    }

    private static JsonNode required(final JsonNode node, final String key)
    {
        final JsonNode v = node.get(key);
        if (v == null || v.isNull())
        {
            throw new IllegalArgumentException(key + ": required");
        }
        return v;
    }

    private static double number(final JsonNode node, final String key, final double min, final double max)
    {
        final String leaf = key.substring(key.lastIndexOf('.') + 1);
        final JsonNode v = node.get(leaf);
        if (v == null || v.isNull())
        {
            throw new IllegalArgumentException(key + ": required");
        }
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max)
        {
            throw new IllegalArgumentException(key + ": must be a number in " + fmt(min) + ".." + fmt(max) + ", got " + v);
        }
        return v.asDouble();
    }

    private static String fmt(final double d)
    {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long)d) : Double.toString(d);
    }

    /** Every grid point, in grid order. */
    static List<Point> evaluate(final CompactTrace trace, final CostModel model)
    {
        final LruStackReplay lru = LruStackReplay.run(trace);
        final double accesses = Math.max(1, lru.accesses());
        final List<Point> points = new ArrayList<>();
        final int n = model.tiers().size();
        final int[] index = new int[n];
        while (true)
        {
            final long[] blocks = new long[n];
            final double[] rate = new double[n];
            long below = 0;
            long running = 0;
            double transfer = 0;
            double price = 0;
            long hits = 0;
            for (int t = 0; t < n; t++)
            {
                final Tier tier = model.tiers().get(t);
                blocks[t] = tier.sizesBlocks()[index[t]];
                running = Math.max(running, blocks[t]);
                final long upTo = lru.hits((int)Math.min(Integer.MAX_VALUE, running));
                final long tierHits = upTo - below;
                below = upTo;
                hits += tierHits;
                rate[t] = tierHits / accesses;
                if (t > 0)
                {
                    transfer += tierHits * (double)model.bytesPerBlock() / (tier.readGbps() * 1e9);
                }
                price += blocks[t] * (double)model.bytesPerBlock() / (1L << 30) * tier.pricePerGib();
            }
            final double tokens = hits * (double)model.blockTokens();
            points.add(new Point(blocks, rate, tokens, tokens * model.prefillUsPerToken() / 1e6, transfer, price));
            int t = n - 1;
            while (t >= 0 && ++index[t] == model.tiers().get(t).sizesBlocks().length)
            {
                index[t--] = 0;
            }
            if (t < 0)
            {
                return points;
            }
        }
    }

    /** The point saving the most time within the budget, or null when none fits. */
    static Point best(final List<Point> points, final double budget)
    {
        Point best = null;
        for (final Point p : points)
        {
            if (p.price() <= budget + 1e-9 && (best == null || p.netSecondsSaved() > best.netSecondsSaved() ||
                (p.netSecondsSaved() == best.netSecondsSaved() && p.price() < best.price())))
            {
                best = p;
            }
        }
        return best;
    }

    static void print(final PrintWriter w, final CompactTrace trace, final CostModel model, final List<Point> points,
        final boolean csv)
    {
        final Point best = best(points, model.budget());
        final int n = model.tiers().size();
        if (csv)
        {
            final StringBuilder h = new StringBuilder();
            for (final Tier t : model.tiers())
            {
                h.append(t.name()).append("_blocks,");
            }
            for (final Tier t : model.tiers())
            {
                h.append(t.name()).append("_hit_rate,");
            }
            w.println(h + "tokens_saved,prefill_s_saved,transfer_s,net_s_saved,price,best");
            for (final Point p : points)
            {
                final StringBuilder sb = new StringBuilder();
                for (int t = 0; t < n; t++)
                {
                    sb.append(p.blocks()[t]).append(',');
                }
                for (int t = 0; t < n; t++)
                {
                    sb.append(String.format(Locale.ROOT, "%.6f,", p.hitRate()[t]));
                }
                w.println(sb + String.format(Locale.ROOT, "%.0f,%.3f,%.3f,%.3f,%.2f,%s", p.tokensSaved(),
                    p.prefillSecondsSaved(), p.transferSeconds(), p.netSecondsSaved(), p.price(), p == best ? "yes" : ""));
            }
            return;
        }
        w.printf(Locale.ROOT, "kvbm4j replay --advise: %,d requests, %,d block accesses; %,d bytes and %d tokens a block, " +
            "prefill %.3f us a token; LRU on every tier, inclusive hierarchy (docs/REPLAY.md)%n%n", trace.requests(),
            trace.accesses(), model.bytesPerBlock(), model.blockTokens(), model.prefillUsPerToken());
        final StringBuilder head = new StringBuilder("  ");
        for (final Tier t : model.tiers())
        {
            head.append(String.format(Locale.ROOT, "%12s %8s ", t.name() + " blocks", "hit"));
        }
        w.println(head + String.format(Locale.ROOT, "%14s %12s %12s %12s %12s", "tokens saved", "prefill s",
            "transfer s", "net s saved", "price"));
        for (final Point p : points)
        {
            final StringBuilder sb = new StringBuilder(p == best ? "* " : "  ");
            for (int t = 0; t < n; t++)
            {
                sb.append(String.format(Locale.ROOT, "%,12d %8.4f ", p.blocks()[t], p.hitRate()[t]));
            }
            w.println(sb + String.format(Locale.ROOT, "%,14.0f %12.1f %12.1f %12.1f %,12.2f", p.tokensSaved(),
                p.prefillSecondsSaved(), p.transferSeconds(), p.netSecondsSaved(), p.price()));
        }
        w.println(best == null ? String.format(Locale.ROOT, "%n  no grid point fits the budget %.2f%n", model.budget()) :
            String.format(Locale.ROOT, "%n  * best within the budget (%s): the most net prefill time saved%n",
                Double.isInfinite(model.budget()) ? "none given" : String.format(Locale.ROOT, "%,.2f", model.budget())));
    }

    /** The HTML report: the table, hit rate vs size per tier, net time saved vs price. */
    static Path report(final Path dir, final String traceName, final CompactTrace trace, final CostModel model,
        final List<Point> points)
    {
        final Point best = best(points, model.budget());
        final java.io.StringWriter csv = new java.io.StringWriter();
        try (PrintWriter w = new PrintWriter(csv))
        {
            print(w, trace, model, points, true);
        }
        final HtmlReport report = new HtmlReport(dir, "kvbm4j tier sizing advice").file("advice.csv", csv.toString())
            .html("<p>Trace: <code>" + HtmlReport.escape(traceName) + "</code></p>")
            .paragraph("LRU on every tier; inclusive hierarchy like the engine's (tiers up to k hold what one LRU " +
                "cache of the largest of their sizes holds); a hit in G2..G4 pays one read at that tier's bandwidth; " +
                "a hit saves the prefill of the block's tokens.");
        // Hit rate vs size, per tier: the tier varies over its grid, the others stay at the best point's sizes.
        final XYChart hits = HtmlReport.xyChart("Hit rate of each tier vs its size (others at the best sizes)",
            "tier size (GiB)", "hit rate in that tier");
        hits.getStyler().setYAxisDecimalPattern("0.000");
        final Point anchor = best != null ? best : points.get(0);
        for (int t = 0; t < model.tiers().size(); t++)
        {
            final List<Double> x = new ArrayList<>();
            final List<Double> y = new ArrayList<>();
            for (final Point p : points)
            {
                if (sameExcept(p, anchor, t))
                {
                    x.add(p.blocks()[t] * (double)model.bytesPerBlock() / (1L << 30));
                    y.add(p.hitRate()[t]);
                }
            }
            if (x.size() > 0)
            {
                hits.addSeries(model.tiers().get(t).name(), x, y).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        report.chart(hits, "advise_hit_rate.png", "hit rate vs size per tier");
        final XYChart value = HtmlReport.xyChart("Net prefill time saved vs price (every grid point)", "price",
            "net prefill seconds saved");
        value.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        value.addSeries("grid", points.stream().mapToDouble(Point::price).toArray(),
            points.stream().mapToDouble(Point::netSecondsSaved).toArray());
        if (best != null)
        {
            value.addSeries("best within budget", new double[] {best.price()}, new double[] {best.netSecondsSaved()})
                .setMarker(SeriesMarkers.DIAMOND);
        }
        report.chart(value, "advise_value.png", "net time saved vs price");
        final List<List<String>> rows = new ArrayList<>();
        for (final Point p : points)
        {
            final List<String> row = new ArrayList<>();
            for (int t = 0; t < model.tiers().size(); t++)
            {
                row.add(String.format(Locale.ROOT, "%,d", p.blocks()[t]));
                row.add(String.format(Locale.ROOT, "%.4f", p.hitRate()[t]));
            }
            row.add(String.format(Locale.ROOT, "%,.0f", p.tokensSaved()));
            row.add(String.format(Locale.ROOT, "%.1f", p.transferSeconds()));
            row.add(String.format(Locale.ROOT, "%.1f", p.netSecondsSaved()));
            row.add(String.format(Locale.ROOT, "%,.2f", p.price()));
            row.add(p == best ? "best" : "");
            rows.add(row);
        }
        final List<String> header = new ArrayList<>();
        for (final Tier t : model.tiers())
        {
            header.add(t.name() + " blocks");
            header.add(t.name() + " hit rate");
        }
        header.addAll(List.of("tokens saved", "transfer s", "net s saved", "price", ""));
        return report.heading("Grid").table(header, rows)
            .html("<p>Data: <a href=\"advice.csv\">advice.csv</a></p>").write();
    }

    private static boolean sameExcept(final Point p, final Point anchor, final int t)
    {
        for (int i = 0; i < p.blocks().length; i++)
        {
            if (i != t && p.blocks()[i] != anchor.blocks()[i])
            {
                return false;
            }
        }
        return true;
    }
}
