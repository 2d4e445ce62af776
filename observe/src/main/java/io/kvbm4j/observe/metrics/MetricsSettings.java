package io.kvbm4j.observe.metrics;

import java.util.Map;

import io.kvbm4j.config.ConfigException;
import io.kvbm4j.observe.events.Keys;

/** The validated {@code metrics:} section. */
public record MetricsSettings(int port, String bind, double mrcRate)
{
    /** @throws ConfigException naming the key. */
    public static MetricsSettings parse(final Map<String, String> keys, final String source)
    {
        final Keys k = new Keys(keys, source, "metrics.");
        final int port = k.integer("port", 0, 65_535);
        final String bind = k.text("bind").strip();
        if (bind.isEmpty())
        {
            throw new ConfigException(source + ": metrics.bind: must be an address to listen on, e.g. 127.0.0.1");
        }
        return new MetricsSettings(port, bind, k.decimal("mrc-rate", 0, 1));
    }

    public boolean enabled()
    {
        return port != 0;
    }
}
