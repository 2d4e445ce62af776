package io.kvbm4j.identity;

/** The 128-bit hash H behind block ids and salts. */
public enum HashAlgorithm
{
    /** XXH3-128: fast, non-cryptographic; the default. */
    XXH3_128("xxh3-128"),
    /** SHA-256 truncated to its first 128 bits: for deployments that need collision resistance against adversaries. */
    SHA_256("sha-256");

    private final String configName;

    HashAlgorithm(final String configName)
    {
        this.configName = configName;
    }

    /** The spelling used in YAML. */
    public String configName()
    {
        return configName;
    }

    /** @return the algorithm, or {@code null} when the name is not a known spelling. */
    public static HashAlgorithm parse(final String name)
    {
        for (final HashAlgorithm a : values())
        {
            if (a.configName.equals(name))
            {
                return a;
            }
        }
        return null;
    }
}
