package io.kvbm4j.remote.value;

import java.nio.charset.StandardCharsets;

/**
 * Key names of G4 blocks, written into caller-owned byte arrays (no allocation per key).
 *
 * <pre>
 *  Redis:  {namespace}:{salt, 16 hex}:{id hi, 16 hex}{id lo, 16 hex}
 *          kvbm4j:0000000000000007:00a1...ff
 *  S3:     {prefix, 4 hex}/{namespace}/{salt, 16 hex}/{id hi}{id lo}
 *          3f2a/kvbm4j/0000000000000007/00a1...ff
 * </pre>
 *
 * The key names namespace, salt and id, so two tenants (salts) never share a key. Redis Cluster hashes the whole
 * key (there is no hash tag: no braces), so blocks spread over all slots and nodes. S3 spreads request load by
 * key prefix, so an S3 key starts with 4 hex digits derived from a hash of id and salt (ids are already hashes;
 * the mix keeps salts apart too): 65,536 prefixes.
 */
public final class BlockKeys
{
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] namespace;
    private final int redisLength;
    private final int s3Length;

    /** @param namespace {@code g4.namespace}: ASCII letters, digits, '.', '_', '-'. */
    public BlockKeys(final String namespace)
    {
        this.namespace = namespace.getBytes(StandardCharsets.US_ASCII);
        this.redisLength = this.namespace.length + 1 + 16 + 1 + 32;
        this.s3Length = 4 + 1 + this.namespace.length + 1 + 16 + 1 + 32;
    }

    public int redisKeyLength()
    {
        return redisLength;
    }

    public int s3KeyLength()
    {
        return s3Length;
    }

    /** Writes the Redis key into {@code key} ({@link #redisKeyLength()} bytes). */
    public void redisKey(final byte[] key, final long saltId, final long idHi, final long idLo)
    {
        System.arraycopy(namespace, 0, key, 0, namespace.length);
        int at = namespace.length;
        key[at++] = ':';
        at = hex(key, at, saltId);
        key[at++] = ':';
        at = hex(key, at, idHi);
        hex(key, at, idLo);
    }

    /** Writes the S3 object key into {@code key} ({@link #s3KeyLength()} bytes). */
    public void s3Key(final byte[] key, final long saltId, final long idHi, final long idLo)
    {
        final long mix = mix(idHi ^ Long.rotateLeft(idLo, 21) ^ Long.rotateLeft(saltId, 42));
        for (int i = 0; i < 4; i++)
        {
            key[i] = HEX[(int)(mix >>> (60 - 4 * i)) & 0xf];
        }
        int at = 4;
        key[at++] = '/';
        System.arraycopy(namespace, 0, key, at, namespace.length);
        at += namespace.length;
        key[at++] = '/';
        at = hex(key, at, saltId);
        key[at++] = '/';
        at = hex(key, at, idHi);
        hex(key, at, idLo);
    }

    /** The S3 key as a String (the SDK takes strings). */
    public String s3KeyString(final long saltId, final long idHi, final long idLo)
    {
        final byte[] key = new byte[s3Length];
        s3Key(key, saltId, idHi, idLo);
        return new String(key, StandardCharsets.US_ASCII);
    }

    private static int hex(final byte[] key, final int at, final long v)
    {
        for (int i = 0; i < 16; i++)
        {
            key[at + i] = HEX[(int)(v >>> (60 - 4 * i)) & 0xf];
        }
        return at + 16;
    }

    /** SplitMix64's finaliser: every input bit moves every output bit. */
    private static long mix(final long x)
    {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
