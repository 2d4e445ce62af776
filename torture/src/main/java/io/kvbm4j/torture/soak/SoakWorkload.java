package io.kvbm4j.torture.soak;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link SoakDriver} starts and kills: a child process that speaks {@link SoakProtocol}. The embedded
 * engine is {@link #embeddedEngine}; a node-service workload ({@code kvbm4j serve} and client processes) or a
 * G4-backed engine plugs in as another implementation whose child prints the same lines.
 */
public interface SoakWorkload
{
    String name();

    /** The command of one child: {@code state} survives kills (the G3 files); {@code verifyOnly} sweeps and exits. */
    List<String> command(Path state, long seed, boolean verifyOnly);

    /** The embedded engine with G2 and G3 ({@link EngineSoakWorker}) in a JVM like this one. */
    static SoakWorkload embeddedEngine()
    {
        return new SoakWorkload()
        {
            @Override
            public String name()
            {
                return "embedded engine G1+G2+G3";
            }

            @Override
            public List<String> command(final Path state, final long seed, final boolean verifyOnly)
            {
                final List<String> cmd = new java.util.ArrayList<>(SoakDriver.javaCommand());
                cmd.add(EngineSoakWorker.class.getName());
                cmd.add(state.toString());
                cmd.add(Long.toString(seed));
                if (verifyOnly)
                {
                    cmd.add("verify-only");
                }
                return cmd;
            }
        };
    }
}
