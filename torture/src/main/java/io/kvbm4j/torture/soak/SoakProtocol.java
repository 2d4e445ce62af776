package io.kvbm4j.torture.soak;

/**
 * The lines a soak child prints on stdout, one fact per line, so the driver learns what happened before the
 * kill by reading to the end of the stream. Any workload (the embedded engine today; {@code kvbm4j serve} with
 * client processes, or a G4-backed engine later) plugs into {@link SoakDriver} by speaking these lines:
 *
 * <pre>
 *  READY open_ns=N restored=N                 the engine is open (warm restart done); restored = blocks found in G3
 *  VERIFY asked=N served=N wrong=N            the sweep after the restart: blocks asked for, handed back, wrong
 *  STAT stored=N g3=N served=N wrong=N refused=N   cumulative since this start (every 64 requests)
 *  WRONG hi lo slot                           a block served with bytes that are not its id's payload
 * </pre>
 */
public final class SoakProtocol
{
    private SoakProtocol()
    {
    }

    public static String ready(final long openNanos, final long restored)
    {
        return "READY open_ns=" + openNanos + " restored=" + restored;
    }

    public static String verify(final long asked, final long served, final long wrong)
    {
        return "VERIFY asked=" + asked + " served=" + served + " wrong=" + wrong;
    }

    public static String stat(final long stored, final long g3, final long served, final long wrong, final long refused)
    {
        return "STAT stored=" + stored + " g3=" + g3 + " served=" + served + " wrong=" + wrong + " refused=" + refused;
    }

    public static String wrong(final long hi, final long lo, final int slot)
    {
        return "WRONG " + Long.toHexString(hi) + " " + Long.toHexString(lo) + " " + slot;
    }

    /** The value of {@code key=} in a line, or -1. */
    public static long field(final String line, final String key)
    {
        final int at = line.indexOf(" " + key + "=");
        if (at < 0)
        {
            return -1;
        }
        int end = line.indexOf(' ', at + key.length() + 2);
        end = end < 0 ? line.length() : end;
        return Long.parseLong(line.substring(at + key.length() + 2, end));
    }
}
