package io.kvbm4j.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.AbstractData;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.DataAccess;
import net.openhft.chronicle.wire.WireIn;
import net.openhft.chronicle.wire.WireOut;

/**
 * Chronicle Map access to {@code byte[]} keys or values that wraps an array once and keeps the wrapper
 * while the caller passes the same array again, as a single-writer handler with reusable key and record
 * arrays does. Chronicle's own {@code ByteArrayDataAccess} calls {@code BytesStore.wrap} on every lookup
 * or write, which allocates a heap store and its reference-counting objects each time.
 *
 * <p>Used by {@link MetadataStore} for keys and values: with it a register or evict allocates nothing
 * (measured by {@code MetadataHandlerBenchmark} in {@code perf} against Chronicle's default access).
 * Chronicle copies a data access per query context (per thread), so each instance serves one thread.
 */
public final class ReusingByteArrayDataAccess extends AbstractData<byte[]> implements DataAccess<byte[]>
{
    private transient byte[] array;
    private transient BytesStore<?, ?> store;

    @Override
    public RandomDataInput bytes()
    {
        return store;
    }

    @Override
    public long offset()
    {
        return store.start();
    }

    @Override
    public long size()
    {
        return store.capacity();
    }

    @Override
    public byte[] get()
    {
        return array;
    }

    @Override
    public byte[] getUsing(final byte[] using)
    {
        final byte[] out = using != null && using.length == array.length ? using : new byte[array.length];
        System.arraycopy(array, 0, out, 0, array.length);
        return out;
    }

    @Override
    public Data<byte[]> getData(final byte[] instance)
    {
        if (instance != array)
        {
            array = instance;
            store = BytesStore.wrap(instance);
        }
        return this;
    }

    @Override
    public void uninit()
    {
        // keeps the wrapper for the next call with the same array
    }

    @Override
    public DataAccess<byte[]> copy()
    {
        return new ReusingByteArrayDataAccess();
    }

    @Override
    public void writeMarshallable(final WireOut wire)
    {
        // stateless configuration: nothing to write
    }

    @Override
    public void readMarshallable(final WireIn wire)
    {
        array = null;
        store = null;
    }
}
