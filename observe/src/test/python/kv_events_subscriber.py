"""A vLLM-format KV-event subscriber, run by EventStreamSubscriberTest in its own process.

Connects a SUB socket to the publisher (or binds it, --bind), waits for the first live batch, asks the
replay ROUTER for everything from sequence 0, then reads live batches until the Java side writes
"END <last seq>" on stdin. Checks on the way: live sequence numbers contiguous from the first one seen,
replay answers 0..first-1 (and more) contiguously and ends with the -1 marker, batches seen both ways are
byte-identical. Decodes every payload twice, with msgpack (the raw structure, asserted field by field)
and with msgspec typed structs shaped like vLLM's, and prints one line per block:
    B <seq> <Stored|Removed|Cleared> <medium> <hash> <parent hash or -> <token count> <block size> <tokens or ->
(token count and tokens per block: BlockStored's token_ids, which hold block_size tokens per block or none)
then "OK <batches> <blocks>". Exit status 1 with a message on any failure.
"""
import argparse
import sys
import threading

import msgpack
import msgspec
import zmq


class KVCacheEventArray(msgspec.Struct, array_like=True, omit_defaults=True, tag=True):
    pass


class BlockStoredArray(KVCacheEventArray, tag="BlockStored"):
    block_hashes: list[int | bytes]
    parent_block_hash: int | bytes | None
    token_ids: list[int]
    block_size: int
    lora_id: int | None
    medium: str | None
    lora_name: str | None = None


class BlockRemovedArray(KVCacheEventArray, tag="BlockRemoved"):
    block_hashes: list[int | bytes]
    medium: str | None


class AllBlocksClearedArray(KVCacheEventArray, tag="AllBlocksCleared"):
    pass


class BatchArray(msgspec.Struct, array_like=True, omit_defaults=True):
    ts: float
    events: list[BlockStoredArray | BlockRemovedArray | AllBlocksClearedArray]
    data_parallel_rank: int | None = None


class KVCacheEventMap(msgspec.Struct, omit_defaults=True, tag=True):
    pass


class BlockStoredMap(KVCacheEventMap, tag="BlockStored"):
    block_hashes: list[int | bytes]
    parent_block_hash: int | bytes | None
    token_ids: list[int]
    block_size: int
    lora_id: int | None
    medium: str | None
    lora_name: str | None = None


class BlockRemovedMap(KVCacheEventMap, tag="BlockRemoved"):
    block_hashes: list[int | bytes]
    medium: str | None


class AllBlocksClearedMap(KVCacheEventMap, tag="AllBlocksCleared"):
    pass


class BatchMap(msgspec.Struct, omit_defaults=True):
    ts: float
    events: list[BlockStoredMap | BlockRemovedMap | AllBlocksClearedMap]
    data_parallel_rank: int | None = None


class BatchArrayOfMaps(msgspec.Struct, array_like=True, omit_defaults=True):
    """vLLM 0.33.0's KVEventBatch: the batch array_like, its events tagged maps (kv-events.encoding: map)."""
    ts: float
    events: list[BlockStoredMap | BlockRemovedMap | AllBlocksClearedMap]
    data_parallel_rank: int | None = None


def fail(msg):
    print("FAIL " + msg, flush=True)
    sys.exit(1)


def hash_text(h, form):
    if form == "uint64":
        if not isinstance(h, int) or h < 0 or h >= 1 << 64:
            fail(f"hash {h!r} is not an unsigned 64-bit integer")
        return str(h)
    if not isinstance(h, bytes) or len(h) != 16:
        fail(f"hash {h!r} is not 16 bytes")
    return h.hex()


def check_raw(payload, encoding, rank):
    """The msgpack structure, independent of msgspec."""
    raw = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    if encoding == "array":
        if not isinstance(raw, list) or len(raw) != 3:
            fail(f"batch is not [ts, events, dp_rank]: {raw!r}"[:300])
        ts, events, dp = raw
        for e in events:
            if not isinstance(e, list) or e[0] not in ("BlockStored", "BlockRemoved", "AllBlocksCleared"):
                fail(f"event is not a tagged array: {e!r}"[:300])
            want = {"BlockStored": 8, "BlockRemoved": 3, "AllBlocksCleared": 1}[e[0]]
            if len(e) != want:
                fail(f"{e[0]} has {len(e)} elements, expected {want}")
    else:
        if encoding == "map-batch":
            if not isinstance(raw, dict) or set(raw) != {"ts", "events", "data_parallel_rank"}:
                fail(f"batch is not a map of ts, events, data_parallel_rank: {raw!r}"[:300])
            ts, events, dp = raw["ts"], raw["events"], raw["data_parallel_rank"]
        else:
            if not isinstance(raw, list) or len(raw) != 3:
                fail(f"batch is not [ts, events, dp_rank]: {raw!r}"[:300])
            ts, events, dp = raw
        for e in events:
            if not isinstance(e, dict) or "type" not in e:
                fail(f"event is not a map with type: {e!r}"[:300])
    if not isinstance(ts, float) or ts < 1e9:
        fail(f"ts {ts!r} is not float seconds since the epoch")
    if dp != rank:
        fail(f"data_parallel_rank {dp!r}, expected {rank}")
    return len(events)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bind", action="store_true")
    ap.add_argument("--replay", required=True)
    ap.add_argument("--encoding", choices=["array", "map", "map-batch"], required=True)
    ap.add_argument("--hash", choices=["uint64", "bytes"], required=True)
    ap.add_argument("--topic", default="")
    ap.add_argument("--rank", type=int, default=0)
    args = ap.parse_args()

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    if args.bind:
        sub.bind(args.endpoint)
    else:
        sub.connect(args.endpoint)
    print("READY", flush=True)

    end = {"seq": None}

    def read_stdin():
        for line in sys.stdin:
            if line.startswith("END "):
                end["seq"] = int(line.split()[1])
                return

    threading.Thread(target=read_stdin, daemon=True).start()

    live = {}
    first_live = None
    expect = None
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    replayed = None
    while True:
        if end["seq"] is not None and expect is not None and expect > end["seq"]:
            break
        if not poller.poll(100):
            continue
        frames = sub.recv_multipart()
        if len(frames) != 3:
            fail(f"message of {len(frames)} frames, expected 3")
        topic, seq_bytes, payload = frames
        if topic != args.topic.encode():
            fail(f"topic {topic!r}")
        if len(seq_bytes) != 8:
            fail("sequence frame is not 8 bytes")
        seq = int.from_bytes(seq_bytes, "big", signed=False)
        if first_live is None:
            first_live = seq
            expect = seq
            print(f"LIVE {seq}", flush=True)
            replayed = replay(ctx, args.replay)
        if seq != expect:
            fail(f"live sequence jumped from {expect - 1} to {seq}")
        expect = seq + 1
        live[seq] = payload

    # Replay: contiguous from 0; where it overlaps the live stream, the same bytes.
    seqs = sorted(replayed)
    if not seqs or seqs[0] != 0 or seqs != list(range(len(seqs))):
        fail(f"replay did not answer a contiguous run from 0: {seqs[:5]}...{seqs[-5:]}")
    if seqs[-1] < first_live - 1:
        fail(f"replay ended at {seqs[-1]}, the live stream began at {first_live}")
    for s in seqs:
        if s in live and live[s] != replayed[s]:
            fail(f"batch {s} differs between replay and live")
    batches = dict(replayed)
    batches.update(live)
    if sorted(batches) != list(range(end["seq"] + 1)):
        fail("batches 0..END not all received")

    typed = msgspec.msgpack.Decoder({"array": BatchArray, "map": BatchArrayOfMaps, "map-batch": BatchMap}[args.encoding])
    blocks = 0
    for s in range(end["seq"] + 1):
        payload = batches[s]
        n = check_raw(payload, args.encoding, args.rank)
        batch = typed.decode(payload)
        if len(batch.events) != n:
            fail("msgspec and msgpack disagree on the event count")
        for e in batch.events:
            name = type(e).__name__
            if name.startswith("BlockStored"):
                parent = "-" if e.parent_block_hash is None else hash_text(e.parent_block_hash, args.hash)
                if e.lora_id is not None or e.lora_name is not None:
                    fail("lora fields set")
                n = len(e.block_hashes)
                if len(e.token_ids) not in (0, n * e.block_size):
                    fail(f"BlockStored of {n} blocks of {e.block_size} carries {len(e.token_ids)} token ids")
                if any(not isinstance(t, int) or t < 0 for t in e.token_ids):
                    fail(f"token ids {e.token_ids[:8]!r} are not non-negative integers")
                for j, h in enumerate(e.block_hashes):
                    own = e.token_ids[j * e.block_size:(j + 1) * e.block_size]
                    text = ",".join(str(t) for t in own) if own else "-"
                    print(f"B {s} Stored {e.medium} {hash_text(h, args.hash)} {parent} {len(own)} "
                          f"{e.block_size} {text}")
                    parent = hash_text(h, args.hash)
                    blocks += 1
            elif name.startswith("BlockRemoved"):
                for h in e.block_hashes:
                    print(f"B {s} Removed {e.medium} {hash_text(h, args.hash)} - 0 0 -")
                    blocks += 1
            else:
                print(f"B {s} Cleared - - - 0 0 -")
    print(f"OK {end['seq'] + 1} {blocks} first-live {first_live}", flush=True)


def replay(ctx, endpoint):
    """Everything the replay socket holds from sequence 0: a DEALER sends [empty, start] (the envelope a REQ
    socket would add) and reads [empty, seq, payload] until seq -1; a REQ socket would take only one reply."""
    req = ctx.socket(zmq.DEALER)
    req.setsockopt(zmq.RCVTIMEO, 30000)
    req.connect(endpoint)
    req.send_multipart((b"", (0).to_bytes(8, "big")))
    got = {}
    while True:
        try:
            frames = req.recv_multipart()
        except zmq.Again:
            fail("replay timed out")
        if len(frames) != 3 or frames[0] != b"":
            fail(f"replay answer of {len(frames)} frames, expected [empty, seq, payload]")
        _, seq_bytes, payload = frames
        seq = int.from_bytes(seq_bytes, "big", signed=True)
        if seq == -1:
            if payload != b"":
                fail("end-of-replay marker with a payload")
            break
        got[seq] = payload
    req.close()
    return got


if __name__ == "__main__":
    main()
