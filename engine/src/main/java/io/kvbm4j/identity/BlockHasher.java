package io.kvbm4j.identity;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import io.kvbm4j.api.BlockIds;
import net.openhft.hashing.LongTupleHashFunction;

/**
 * Computes 128-bit block ids for token sequences:
 * {@code id(0) = H(salt, ROOT, tokens[0..B))}, {@code id(i) = H(salt, id(i-1), tokens[iB..(i+1)B))}.
 *
 * <p>Canonical input to H, little-endian, all fields fixed-size except the length-prefixed tokens:
 * <pre>
 *   0        4        20       21                37       41
 *   +--------+--------+--------+----------------+--------+------------------------+
 *   | "KVB1" | salt   | parent | parent id      | count  | tokens (int32 x count) |
 *   | domain | 16 B   | tag 1B | 16 B (0 = ROOT)| int32  |                        |
 *   +--------+--------+--------+----------------+--------+------------------------+
 * </pre>
 * The parent tag is 0 for ROOT and 1 for a real parent, so no parent id can stand for the root; the
 * token count prefix makes the encoding injective, so two different (parent, tokens) pairs never feed
 * H the same bytes (('a','bc') and ('ab','c') differ in count and parent).
 *
 * <p>Not thread-safe: holds a scratch buffer; use one hasher per thread. No allocation per call once the
 * scratch has grown to the block size.
 */
public final class BlockHasher
{
    private static final int DOMAIN = 0x3142564B; // "KVB1" little-endian
    private static final int HEADER_BYTES = 4 + 16 + 1 + 16 + 4;
    private static final LongTupleHashFunction XXH3_128 = LongTupleHashFunction.xx128();
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final HashAlgorithm algorithm;
    private final int blockTokens;
    private final MessageDigest sha256;
    private final byte[] digest = new byte[32];
    private final long[] result = new long[2];
    private byte[] scratch;

    public BlockHasher(final HashAlgorithm algorithm, final int blockTokens)
    {
        if (blockTokens <= 0)
        {
            throw new IllegalArgumentException("blockTokens must be > 0: " + blockTokens);
        }
        this.algorithm = algorithm;
        this.blockTokens = blockTokens;
        this.sha256 = algorithm == HashAlgorithm.SHA_256 ? newSha256() : null;
        this.scratch = new byte[HEADER_BYTES + 4 * blockTokens];
    }

    public HashAlgorithm algorithm()
    {
        return algorithm;
    }

    public int blockTokens()
    {
        return blockTokens;
    }

    /**
     * Appends to {@code out} the ids of every full block of {@code tokens[0..tokenCount)}; a trailing
     * partial block gets no id. {@code out} is cleared first.
     *
     * @return the number of ids written.
     */
    public int hashSequence(final Salt salt, final int[] tokens, final int tokenCount, final BlockIds out)
    {
        out.clear();
        final int blocks = tokenCount / blockTokens;
        long parentHi = 0;
        long parentLo = 0;
        for (int b = 0; b < blocks; b++)
        {
            hashBlock(salt, b > 0, parentHi, parentLo, tokens, b * blockTokens, blockTokens);
            parentHi = result[0];
            parentLo = result[1];
            out.add(parentHi, parentLo);
        }
        return blocks;
    }

    /**
     * Hashes one block and leaves its id in {@link #resultHi()} / {@link #resultLo()}.
     *
     * @param hasParent false for block 0 (parent is the root).
     */
    public void hashBlock(
        final Salt salt, final boolean hasParent, final long parentHi, final long parentLo,
        final int[] tokens, final int offset, final int length)
    {
        final int size = HEADER_BYTES + 4 * length;
        if (scratch.length < size)
        {
            scratch = new byte[size];
        }
        final byte[] s = scratch;
        int p = putInt(s, 0, DOMAIN);
        p = putLong(s, p, salt.hi());
        p = putLong(s, p, salt.lo());
        s[p++] = (byte)(hasParent ? 1 : 0);
        p = putLong(s, p, hasParent ? parentHi : 0);
        p = putLong(s, p, hasParent ? parentLo : 0);
        p = putInt(s, p, length);
        for (int i = 0; i < length; i++)
        {
            p = putInt(s, p, tokens[offset + i]);
        }
        hash(s, size);
    }

    /** High half of the last id computed. */
    public long resultHi()
    {
        return result[0];
    }

    /** Low half of the last id computed. */
    public long resultLo()
    {
        return result[1];
    }

    private void hash(final byte[] bytes, final int length)
    {
        if (sha256 != null)
        {
            sha256.update(bytes, 0, length);
            try
            {
                sha256.digest(digest, 0, digest.length);
            }
            catch (final java.security.DigestException ex)
            {
                throw new IllegalStateException(ex); // cannot happen: the output buffer is 32 bytes
            }
            result[0] = getLongBigEndian(digest, 0);
            result[1] = getLongBigEndian(digest, 8);
        }
        else
        {
            XXH3_128.hashBytes(bytes, 0, length, result);
        }
    }

    /** One-shot 128-bit hash of a byte range (used for salts). Allocates; not for the hot path. */
    static void hash128(final HashAlgorithm algorithm, final byte[] bytes, final int length, final long[] out)
    {
        if (algorithm == HashAlgorithm.SHA_256)
        {
            final MessageDigest md = newSha256();
            md.update(bytes, 0, length);
            final byte[] d = md.digest();
            out[0] = getLongBigEndian(d, 0);
            out[1] = getLongBigEndian(d, 8);
        }
        else
        {
            XXH3_128.hashBytes(bytes, 0, length, out);
        }
    }

    private static MessageDigest newSha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
        }
    }

    private static int putInt(final byte[] b, final int p, final int v)
    {
        INT_LE.set(b, p, v);
        return p + 4;
    }

    private static int putLong(final byte[] b, final int p, final long v)
    {
        LONG_LE.set(b, p, v);
        return p + 8;
    }

    private static long getLongBigEndian(final byte[] b, final int p)
    {
        long v = 0;
        for (int i = 0; i < 8; i++)
        {
            v = (v << 8) | (b[p + i] & 0xFF);
        }
        return v;
    }
}
