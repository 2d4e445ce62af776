package io.kvbm4j.gds.disk;

/** How the G3 tier moves bytes ({@code g3.io}). */
public enum IoPath
{
    /** FileChannel with O_DIRECT ({@code ExtendedOpenOption.DIRECT}); buffered where the file system refuses it. */
    POSIX("posix"),
    /** cuFile where the driver opens; the POSIX path otherwise, with the reason logged. */
    GDS_PREFERRED("gds-preferred"),
    /** cuFile or nothing: the tier fails to open with the driver's reason. */
    GDS_REQUIRED("gds-required");

    private final String key;

    IoPath(final String key)
    {
        this.key = key;
    }

    public String key()
    {
        return key;
    }

    /** Parses the configuration value; the error names the key and the allowed values. */
    public static IoPath parse(final String value)
    {
        for (final IoPath p : values())
        {
            if (p.key.equals(value))
            {
                return p;
            }
        }
        throw new IllegalArgumentException("g3.io must be one of posix, gds-preferred, gds-required: " + value);
    }
}
