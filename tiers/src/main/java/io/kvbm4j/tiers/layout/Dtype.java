package io.kvbm4j.tiers.layout;

/** Element type of the KV cache, with its size in bytes. */
public enum Dtype
{
    FP32("fp32", 4),
    FP16("fp16", 2),
    BF16("bf16", 2),
    FP8("fp8", 1);

    private final String configName;
    private final int bytes;

    Dtype(final String configName, final int bytes)
    {
        this.configName = configName;
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes()
    {
        return bytes;
    }

    /** The spelling used in YAML and in the identity salt. */
    public String configName()
    {
        return configName;
    }

    /**
     * Parses the YAML spelling.
     *
     * @return the dtype, or {@code null} when the name is not one of {@link #names()}.
     */
    public static Dtype parse(final String name)
    {
        for (final Dtype d : values())
        {
            if (d.configName.equals(name))
            {
                return d;
            }
        }
        return null;
    }

    /** The accepted spellings, for error messages. */
    public static String names()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Dtype d : values())
        {
            if (sb.length() > 0)
            {
                sb.append(", ");
            }
            sb.append(d.configName);
        }
        return sb.toString();
    }
}
