package io.kvbm4j.observe.events;

import java.util.Map;

import io.kvbm4j.config.ConfigException;

/** Typed reads of one module section's keys, with messages that name {@code SOURCE: section.key}. */
public final class Keys
{
    private final Map<String, String> keys;
    private final String source;
    private final String prefix;

    public Keys(final Map<String, String> keys, final String source, final String prefix)
    {
        this.keys = keys;
        this.source = source;
        this.prefix = prefix;
    }

    public String text(final String key)
    {
        final String v = keys.get(key);
        if (v == null)
        {
            throw new ConfigException(source + ": " + prefix + key + ": missing");
        }
        return v;
    }

    public int integer(final String key, final int min, final int max)
    {
        final String v = text(key);
        final long n;
        try
        {
            n = Long.parseLong(v.strip());
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(source + ": " + prefix + key + ": must be an integer in " + min + ".." + max +
                ", got '" + v + "'", ex);
        }
        if (n < min || n > max)
        {
            throw new ConfigException(source + ": " + prefix + key + ": must be in " + min + ".." + max + ", got " + n);
        }
        return (int)n;
    }

    public double decimal(final String key, final double min, final double max)
    {
        final String v = text(key);
        final double d;
        try
        {
            d = Double.parseDouble(v.strip());
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(source + ": " + prefix + key + ": must be a number in " + min + ".." + max +
                ", got '" + v + "'", ex);
        }
        if (!(d >= min && d <= max))
        {
            throw new ConfigException(source + ": " + prefix + key + ": must be in " + min + ".." + max + ", got " + v);
        }
        return d;
    }
}
