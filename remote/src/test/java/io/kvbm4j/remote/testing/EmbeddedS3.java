package io.kvbm4j.remote.testing;

import java.net.URI;
import java.util.Properties;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** s3proxy (in-memory "transient" blob store) in the test JVM on a free loopback port, with a plain S3 client. */
public final class EmbeddedS3 implements AutoCloseable
{
    public static final String ACCESS_KEY = "kvbm4j-access";
    public static final String SECRET_KEY = "kvbm4j-secret";

    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;

    public EmbeddedS3() throws Exception
    {
        final int port = RedisServer.freePort();
        this.endpoint = URI.create("http://127.0.0.1:" + port);
        this.proxy = S3Proxy.builder()
            .blobStore(BlobStores.create("transient", new Properties()))
            .endpoint(endpoint)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
        proxy.start();
        final long until = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState()))
        {
            if (System.nanoTime() - until > 0)
            {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(5);
        }
        this.client = S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClient(UrlConnectionHttpClient.create())
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .build();
    }

    public String endpoint()
    {
        return endpoint.toString();
    }

    /** A plain client for the test's own requests (create buckets, tamper with objects). */
    public S3Client client()
    {
        return client;
    }

    @Override
    public void close()
    {
        client.close();
        try
        {
            proxy.stop();
        }
        catch (final Exception e)
        {
            throw new IllegalStateException("s3proxy stop: " + e, e);
        }
    }
}
