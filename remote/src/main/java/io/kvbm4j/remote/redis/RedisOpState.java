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
    final RedisOutputs.Done single;
    final RedisOutputs.ExistsCommand[] lookup;
    final java.util.ArrayList<RedisOutputs.ExistsCommand> batch;
    final RedisOutputs.PingCommand ping;
    final RedisOutputs.EvalLookupCommand evalLookup;

    RedisOpState(final RedisRemoteStore store, final io.kvbm4j.remote.store.OpRecord op, final int maxIds)
    {
        this.read = new RedisOutputs.Read(op);
        this.status = new RedisOutputs.Status(op);
        this.delete = new RedisOutputs.Count();
        this.lookup = new RedisOutputs.ExistsCommand[maxIds];
        for (int i = 0; i < maxIds; i++)
        {
            lookup[i] = new RedisOutputs.ExistsCommand(store, op, i);
        }
        this.batch = new java.util.ArrayList<>(maxIds);
        this.ping = new RedisOutputs.PingCommand(store, op);
        this.evalLookup = new RedisOutputs.EvalLookupCommand(store, op);
        this.single = new RedisOutputs.Done(store, op);
    }
}
