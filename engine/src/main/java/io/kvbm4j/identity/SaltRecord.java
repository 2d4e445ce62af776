package io.kvbm4j.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The versioned record a salt is the hash of. Every field changes the salt, and so every block id:
 *
 * <table>
 * <caption>Salt fields</caption>
 * <tr><td>model id</td><td>e.g. {@code llama-3.1-8b}</td></tr>
 * <tr><td>model revision</td><td>weights revision or commit; a new checkpoint gives new KV</td></tr>
 * <tr><td>dtype</td><td>{@code bf16}, {@code fp8}...</td></tr>
 * <tr><td>block tokens</td><td>tokens per block</td></tr>
 * <tr><td>KV layout version</td><td>bumped whenever the byte layout of a block changes</td></tr>
 * <tr><td>tenant id</td><td>isolates tenants: no tenant can hit another's blocks</td></tr>
 * <tr><td>LoRA adapter id and version</td><td>empty id and 0 for the base model</td></tr>
 * </table>
 *
 * <p>Canonical encoding (little-endian): {@code int32 SALT_FORMAT_VERSION}, then each string as
 * {@code int32 byteLength, UTF-8 bytes} and each number as {@code int32}/{@code int64}, in the order above.
 * Length prefixes make the encoding injective: no two different records encode to the same bytes.
 */
public final class SaltRecord
{
    /** Version of the encoding below; bump it when fields are added or reordered. */
    public static final int SALT_FORMAT_VERSION = 1;

    private final String modelId;
    private final String modelRevision;
    private final String dtype;
    private final int blockTokens;
    private final int kvLayoutVersion;
    private final String tenantId;
    private final String loraAdapterId;
    private final long loraVersion;

    public SaltRecord(
        final String modelId, final String modelRevision, final String dtype, final int blockTokens,
        final int kvLayoutVersion, final String tenantId, final String loraAdapterId, final long loraVersion)
    {
        this.modelId = requireText("modelId", modelId);
        this.modelRevision = requireText("modelRevision", modelRevision);
        this.dtype = requireText("dtype", dtype);
        if (blockTokens <= 0)
        {
            throw new IllegalArgumentException("blockTokens must be > 0: " + blockTokens);
        }
        this.blockTokens = blockTokens;
        this.kvLayoutVersion = kvLayoutVersion;
        this.tenantId = tenantId == null ? "" : tenantId;
        this.loraAdapterId = loraAdapterId == null ? "" : loraAdapterId;
        this.loraVersion = loraVersion;
    }

    private static String requireText(final String name, final String value)
    {
        if (value == null || value.isEmpty())
        {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    /** The same record for another tenant. */
    public SaltRecord withTenant(final String tenant)
    {
        return new SaltRecord(modelId, modelRevision, dtype, blockTokens, kvLayoutVersion, tenant, loraAdapterId,
            loraVersion);
    }

    /** The same record for another LoRA adapter. */
    public SaltRecord withLora(final String adapterId, final long version)
    {
        return new SaltRecord(modelId, modelRevision, dtype, blockTokens, kvLayoutVersion, tenantId, adapterId,
            version);
    }

    /** The canonical bytes hashed into the salt. */
    public byte[] encode()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        writeInt(out, SALT_FORMAT_VERSION);
        writeString(out, modelId);
        writeString(out, modelRevision);
        writeString(out, dtype);
        writeInt(out, blockTokens);
        writeInt(out, kvLayoutVersion);
        writeString(out, tenantId);
        writeString(out, loraAdapterId);
        writeInt(out, (int)loraVersion);
        writeInt(out, (int)(loraVersion >>> 32));
        return out.toByteArray();
    }

    /** Hashes the canonical encoding with {@code algorithm}. */
    public Salt salt(final HashAlgorithm algorithm)
    {
        final long[] out = new long[2];
        final byte[] bytes = encode();
        BlockHasher.hash128(algorithm, bytes, bytes.length, out);
        return new Salt(out[0], out[1]);
    }

    public int blockTokens()
    {
        return blockTokens;
    }

    private static void writeInt(final ByteArrayOutputStream out, final int v)
    {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    private static void writeString(final ByteArrayOutputStream out, final String s)
    {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeInt(out, b.length);
        out.write(b, 0, b.length);
    }

    @Override
    public String toString()
    {
        return "SaltRecord[model=" + modelId + "@" + modelRevision + ", dtype=" + dtype + ", blockTokens=" +
            blockTokens + ", kvLayout=" + kvLayoutVersion + ", tenant=" + tenantId + ", lora=" + loraAdapterId +
            "@" + loraVersion + "]";
    }
}
