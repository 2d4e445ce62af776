package io.kvbm4j.remote.s3;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.config.RemoteBackend;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.store.AbstractRemoteStore;
import io.kvbm4j.remote.store.OpRecord;
import io.kvbm4j.remote.value.BlockValueLayout;
import io.kvbm4j.tiers.transfer.PayloadChecksum;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * G4 on the S3 API (AWS S3, MinIO, Ceph RGW; s3proxy in the tests) through the AWS SDK v2's synchronous client
 * over the JDK's HttpURLConnection, driven by {@code g4.connections} I/O threads of the store's own (the async
 * client would bring Netty 4.1 beside Lettuce's 4.2). The owner thread never waits: a submit hands the record to
 * a bounded queue that holds every record (so it never refuses), the I/O thread answers through
 * {@link AbstractRemoteStore#complete}.
 *
 * <p>Objects: one per block, key {@code {4 hex of a hash}/{namespace}/{salt}/{id}}, value = header + payload.
 * Write-once by {@code If-None-Match: *} ({@code g4.s3.conditional-put: true}; a 412 answer is ALREADY_PRESENT),
 * or, for servers without conditional writes, a HEAD first (a race between two writers can then overwrite:
 * both wrote the same block's bytes, so the value stays valid). Lookups HEAD the ids in order and stop at the
 * first absent one. Reads stream into caller memory in 64 KiB pieces, each under
 * {@link AbstractRemoteStore#beginIo}, so a read the owner ended TIMED_OUT stops writing at once; the payload's
 * XXH3-64 is checked over the destination.
 *
 * <p>The SDK retries only a request that could not be sent, once and at once ({@link #RESEND_UNSENT}: a
 * kept-alive connection the server had closed); everything else goes to the owner, whose deadline and degraded
 * state decide. It computes request checksums
 * only when an operation requires them (older S3-compatible servers reject the newer {@code x-amz-checksum-*}
 * headers).
 */
public final class S3RemoteStore extends AbstractRemoteStore
{
    private static final System.Logger LOG = System.getLogger(S3RemoteStore.class.getName());
    private static final int PIECE = 64 * 1024;
    /**
     * The SDK's only retry: once, at once, a request that could not be sent or whose connection dropped before an
     * answer (an I/O failure other than a timeout: a kept-alive connection the server had closed answers "Error
     * writing request body to server"). Nothing else is retried: errors the server answers, timeouts and a
     * second failure go to the owner, whose deadline and degraded state decide.
     */
    private static final RetryStrategy RESEND_UNSENT = StandardRetryStrategy.builder()
        .useClientDefaults(false)
        .maxAttempts(2)
        .backoffStrategy(BackoffStrategy.retryImmediately())
        .circuitBreakerEnabled(false)
        .retryOnException(S3RemoteStore::unsent)
        .build();

    /** Whether {@code failure} is a request that never got an answer for a reason other than a timeout. */
    static boolean unsent(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof SocketTimeoutException)
            {
                return false;
            }
            if (t instanceof IOException)
            {
                return true;
            }
        }
        return false;
    }

    private final S3Client s3;
    private final String bucket;
    private final ThreadPoolExecutor io;
    private final String description;

    public S3RemoteStore(final RemoteConfig config, final NanoClock clock)
    {
        super(config, new io.kvbm4j.remote.value.BlockKeys(config.namespace()).s3KeyLength(), clock);
        if (config.backend() != RemoteBackend.S3)
        {
            throw new IllegalArgumentException("g4.backend is " + config.backend().key() + ": use RedisRemoteStore");
        }
        this.bucket = config.s3Bucket();
        final Duration libraryTimeout = Duration.ofMillis(config.timeoutMillis()).multipliedBy(4).plusSeconds(1);
        final S3ClientBuilder b = S3Client.builder()
            .region(Region.of(config.s3Region()))
            .forcePathStyle(config.s3PathStyle())
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClient(UrlConnectionHttpClient.builder()
                .connectionTimeout(libraryTimeout)
                .socketTimeout(libraryTimeout)
                .build())
            .overrideConfiguration(o -> o.apiCallTimeout(libraryTimeout).retryStrategy(RESEND_UNSENT));
        if (!config.endpoints().isEmpty())
        {
            b.endpointOverride(URI.create(config.endpoints().get(0)));
        }
        b.credentialsProvider(config.s3AccessKeyId() != null
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.s3AccessKeyId(), config.s3SecretAccessKey()))
            : DefaultCredentialsProvider.builder().build());
        this.s3 = b.build();
        final AtomicInteger threads = new AtomicInteger();
        this.io = new ThreadPoolExecutor(config.connections(), config.connections(), 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(config.maxInFlight() + 1), r ->
            {
                final Thread t = new Thread(r, "kvbm4j-g4-s3-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        this.description = "s3 " + (config.endpoints().isEmpty() ? "(AWS)" : config.endpoints().get(0)) + " bucket " +
            bucket + " namespace " + config.namespace() + (config.s3PathStyle() ? " (path-style)" : "");
        attachBackendState(op -> new Task(op));
        LOG.log(System.Logger.Level.INFO, "G4 remote tier: " + description);
    }

    @Override
    protected void key(final byte[] key, final long saltId, final long idHi, final long idLo)
    {
        keys.s3Key(key, saltId, idHi, idLo);
    }

    private static String keyOf(final byte[] key)
    {
        return new String(key, StandardCharsets.US_ASCII);
    }

    @Override
    protected void startLookup(final OpRecord op)
    {
        io.execute((Task)op.backend);
    }

    @Override
    protected void startRead(final OpRecord op)
    {
        io.execute((Task)op.backend);
    }

    @Override
    protected void startWrite(final OpRecord op)
    {
        io.execute((Task)op.backend);
    }

    @Override
    protected void startDelete(final OpRecord op)
    {
        io.execute((Task)op.backend);
    }

    @Override
    protected void startPing(final OpRecord op)
    {
        io.execute((Task)op.backend);
    }

    @Override
    protected void flush()
    {
    }

    @Override
    public String describe()
    {
        return description;
    }

    @Override
    protected void closeBackend()
    {
        io.shutdownNow();
        try
        {
            io.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        s3.close();
    }

    private RemoteStatus classify(final RuntimeException e)
    {
        noteFailure(e);
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException)
        {
            return RemoteStatus.TIMED_OUT;
        }
        return RemoteStatus.FAILED;
    }

    /** One record's I/O, run on an I/O thread; allocated once per record. */
    private final class Task implements Runnable
    {
        private final OpRecord op;
        private final byte[] header = new byte[BlockValueLayout.HEADER_BYTES];
        private final UnsafeBuffer headerView = new UnsafeBuffer(header);
        private final byte[] piece = new byte[PIECE];

        Task(final OpRecord op)
        {
            this.op = op;
        }

        @Override
        public void run()
        {
            RemoteStatus s;
            try
            {
                s = switch (op.callKind())
                {
                    case LOOKUP -> lookup();
                    case READ -> read();
                    case WRITE -> write();
                    case DELETE -> delete();
                    case PING -> ping();
                };
            }
            catch (final RuntimeException e)
            {
                s = classify(e);
            }
            complete(op, s);
        }

        private boolean exists(final String key)
        {
            try
            {
                s3.headObject(r -> r.bucket(bucket).key(key));
                return true;
            }
            catch (final NoSuchKeyException e)
            {
                return false;
            }
            catch (final S3Exception e)
            {
                if (e.statusCode() == 404)
                {
                    return false;
                }
                throw e;
            }
        }

        private RemoteStatus lookup()
        {
            for (int i = 0; i < op.count(); i++)
            {
                final boolean present;
                try
                {
                    present = exists(keyOf(op.keys[i]));
                }
                catch (final RuntimeException e)
                {
                    op.present[i] = 2;
                    return classify(e);
                }
                op.present[i] = (byte)(present ? 1 : 0);
                if (!present)
                {
                    break; // the run ends here; the ids after it need no request
                }
            }
            return RemoteStatus.OK;
        }

        private RemoteStatus read()
        {
            final String key = keyOf(op.key);
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket).key(key)))
            {
                final long valueLength = in.response().contentLength();
                if (valueLength < BlockValueLayout.HEADER_BYTES || in.readNBytes(header, 0, header.length) != header.length)
                {
                    return RemoteStatus.CORRUPT;
                }
                if (BlockValueLayout.verifyHeader(headerView, 0, valueLength, op.idHi(), op.idLo(), op.saltId()) !=
                    BlockValueLayout.VALID)
                {
                    return RemoteStatus.CORRUPT;
                }
                final long payload = valueLength - BlockValueLayout.HEADER_BYTES;
                if (payload > op.length())
                {
                    return RemoteStatus.TOO_LARGE;
                }
                long at = 0;
                while (at < payload)
                {
                    final int n = in.readNBytes(piece, 0, (int)Math.min(PIECE, payload - at));
                    if (n <= 0)
                    {
                        return RemoteStatus.CORRUPT; // cut short
                    }
                    if (!beginIo(op))
                    {
                        return RemoteStatus.TIMED_OUT; // the owner took the destination back: stop writing it
                    }
                    op.memory.wrap(op.address() + at, n);
                    op.memory.putBytes(0, piece, 0, n);
                    endIo(op);
                    at += n;
                }
                if (!beginIo(op))
                {
                    return RemoteStatus.TIMED_OUT;
                }
                op.ioLength = payload;
                final long expected = BlockValueLayout.payloadChecksum(headerView, 0);
                op.verifiedChecksum(expected);
                return PayloadChecksum.of(op.address(), payload) == expected ? RemoteStatus.OK : RemoteStatus.CORRUPT;
            }
            catch (final NoSuchKeyException e)
            {
                return RemoteStatus.MISS;
            }
            catch (final S3Exception e)
            {
                return e.statusCode() == 404 ? RemoteStatus.MISS : classify(e);
            }
            catch (final IOException e)
            {
                noteFailure(e);
                return RemoteStatus.FAILED;
            }
        }

        private RemoteStatus write()
        {
            final String key = keyOf(op.key);
            final int length = (int)op.length();
            if (!config.s3ConditionalPut() && exists(key))
            {
                return RemoteStatus.ALREADY_PRESENT;
            }
            if (!beginIo(op))
            {
                return RemoteStatus.TIMED_OUT;
            }
            final long checksum = op.checksumKnown() ? op.checksum() : PayloadChecksum.of(op.address(), length);
            endIo(op);
            BlockValueLayout.encode(headerView, 0, op.idHi(), op.idLo(), op.saltId(), length, checksum);
            final RequestBody body = RequestBody.fromContentProvider(() -> new ValueStream(op, header, length),
                BlockValueLayout.HEADER_BYTES + (long)length, "application/octet-stream");
            try
            {
                s3.putObject(r ->
                {
                    r.bucket(bucket).key(key).contentLength(BlockValueLayout.HEADER_BYTES + (long)length);
                    if (config.s3ConditionalPut())
                    {
                        r.ifNoneMatch("*");
                    }
                }, body);
            }
            catch (final S3Exception e)
            {
                if (e.statusCode() == 412 || e.statusCode() == 409)
                {
                    return RemoteStatus.ALREADY_PRESENT;
                }
                throw e;
            }
            op.ioLength = length;
            return RemoteStatus.OK;
        }

        private RemoteStatus delete()
        {
            s3.deleteObject(r -> r.bucket(bucket).key(keyOf(op.key)));
            return RemoteStatus.OK;
        }

        private RemoteStatus ping()
        {
            s3.headBucket(r -> r.bucket(bucket));
            return RemoteStatus.OK;
        }
    }

    /**
     * The value's bytes for the SDK: header, then the payload read from caller memory under
     * {@link AbstractRemoteStore#beginIo} piece by piece; a write the owner ended TIMED_OUT fails the upload
     * instead of reading memory that is no longer the store's.
     */
    private static final class ValueStream extends InputStream
    {
        private final OpRecord op;
        private final byte[] header;
        private final long total;
        private long at;

        ValueStream(final OpRecord op, final byte[] header, final int payload)
        {
            this.op = op;
            this.header = header.clone();
            this.total = BlockValueLayout.HEADER_BYTES + (long)payload;
        }

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            if (at >= total)
            {
                return -1;
            }
            if (len == 0)
            {
                return 0;
            }
            if (at < BlockValueLayout.HEADER_BYTES)
            {
                final int n = (int)Math.min(len, BlockValueLayout.HEADER_BYTES - at);
                System.arraycopy(header, (int)at, b, off, n);
                at += n;
                return n;
            }
            final int n = (int)Math.min(len, total - at);
            if (!beginIo(op))
            {
                throw new IOException("G4 write ended TIMED_OUT by its owner; upload abandoned");
            }
            op.memory.wrap(op.address() + (at - BlockValueLayout.HEADER_BYTES), n);
            op.memory.getBytes(0, b, off, n);
            endIo(op);
            at += n;
            return n;
        }
    }
}
