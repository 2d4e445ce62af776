package io.kvbm4j.gds.disk;

import java.nio.file.Path;
import java.util.ArrayDeque;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * Child process of {@link CrashRestartTest}: writes blocks first, first + 1, ... to a G3 tier for
 * ever, evicting the oldest when the tier is full (blocks it found at start first), and prints
 * {@code ACK i} once block i's write returned OK and {@code EVICT i} just before block i leaves the index. The
 * parent kills it with SIGKILL mid-stream.
 */
public final class CrashWriter
{
    private CrashWriter()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path root = Path.of(args[0]);
        final int slots = Integer.parseInt(args[1]);
        final int max = Integer.parseInt(args[2]);
        final long first = Long.parseLong(args[3]);
        final ArrayDeque<Long> fifo = new ArrayDeque<>();
        try (DiskTier tier = DiskTier.open(DiskTierConfig.posix(root, slots, max));
             AlignedMemory src = new AlignedMemory((int)SlotHeaderLayout.alignUp(max), 4096))
        {
            final UnsafeBuffer b = src.newBuffer();
            tier.forEachBlock((hi, lo, salt, length) -> fifo.add(Blocks.number(hi)));
            System.out.println("READY " + tier.size());
            System.out.flush();
            for (long i = first; ; i++)
            {
                if (tier.freeSlots() == 0)
                {
                    final long oldest = fifo.remove();
                    System.out.println("EVICT " + oldest); // before: once said, the block may be gone
                    if (!tier.evict(Blocks.idHi(oldest), Blocks.idLo(oldest)))
                    {
                        throw new IllegalStateException("block " + oldest + " was not stored");
                    }
                }
                final int len = Blocks.length(i, max);
                Blocks.fill(b, i, len);
                final DiskStatus s = tier.write(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, src.address(), len);
                if (s != DiskStatus.OK)
                {
                    throw new IllegalStateException("write of block " + i + ": " + s);
                }
                fifo.add(i);
                System.out.println("ACK " + i);
                System.out.flush();
            }
        }
    }
}
