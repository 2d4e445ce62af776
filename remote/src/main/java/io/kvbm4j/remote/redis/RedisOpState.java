package io.kvbm4j.remote.redis;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.remote.value.BlockValueLayout;

/** Per-record Lettuce state, allocated once with the record: outputs, callbacks and scratch views. */
final class RedisOpState
{
    final byte[] headerBytes = new byte[BlockValueLayout.HEADER_BYTES];
    final UnsafeBuffer headerView = new UnsafeBuffer(headerBytes);
    final UnsafeBuffer copyView = new UnsafeBuffer(new byte[0]);
    final RedisOutputs.Read read;
    final RedisOutputs.Status status;
    final RedisOutputs.Count delete;
    final RedisOutputs.Exists[] exists;
    final RedisOutputs.Done single;
    final RedisOutputs.LookupDone[] lookup;

    RedisOpState(final RedisRemoteStore store, final io.kvbm4j.remote.store.OpRecord op, final int maxIds)
    {
        this.read = new RedisOutputs.Read(op);
        this.status = new RedisOutputs.Status(op);
        this.delete = new RedisOutputs.Count();
        this.exists = new RedisOutputs.Exists[maxIds];
        this.lookup = new RedisOutputs.LookupDone[maxIds];
        for (int i = 0; i < maxIds; i++)
        {
            exists[i] = new RedisOutputs.Exists(op, i);
            lookup[i] = new RedisOutputs.LookupDone(store, op, i);
        }
        this.single = new RedisOutputs.Done(store, op);
    }
}
