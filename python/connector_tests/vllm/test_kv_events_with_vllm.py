"""kvbm4j's KV-event stream (module observe, docs/EVENTS_METRICS.md) decoded with vLLM's own classes
(vllm.distributed.kv_events of the installed vLLM): a real `bin/kvbm4j demo` publishes on a TCP port, a pyzmq SUB
socket reads its three-frame messages.

What vLLM 0.33.0 itself sends: an array batch ``[ts, events, dp_rank]`` (``EventBatch`` is ``array_like``) whose
events are tagged *maps* (``KVCacheEvent`` has ``tag=True`` but no ``array_like``). That is kvbm4j's ``map``
encoding, decoded here with vLLM's own ``KVEventBatch``. ``array`` (batch and events arrays: vLLM before the events
lost ``array_like``, the form llm-d's positional decoder reads) is refused by 0.33's ``KVEventBatch`` by design:
recorded as a strict xfail. ``map-batch`` (batch and events maps: some vLLM main commits) is decoded with its
envelope and vLLM's event classes."""

import os
import socket
import subprocess
import sys

import msgspec
import pytest
import zmq

from vllm.distributed.kv_events import AllBlocksCleared, BlockRemoved, BlockStored, KVEventBatch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MEDIA = {"GPU", "CPU", "DISK", "REMOTE"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_stream(encoding, tmp_path):
    """Runs the demo with events on, returns the payloads a subscriber connected before it started received."""
    port = free_port()
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVTIMEO, 500)
    sub.connect(f"tcp://127.0.0.1:{port}")
    log = open(tmp_path / f"demo-{encoding}.log", "wb")
    demo = subprocess.Popen([os.path.join(ROOT, "bin", "kvbm4j"), "demo", "--requests", "300",
                             "--set", f"kv-events.endpoint=tcp://*:{port}",
                             "--set", f"kv-events.encoding={encoding}", "--set", "model=tiny-test"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
    payloads = []
    try:
        while True:
            try:
                frames = sub.recv_multipart()
            except zmq.Again:
                if demo.poll() is not None:
                    break
                continue
            assert len(frames) == 3, f"{len(frames)} frames"
            assert len(frames[1]) == 8
            payloads.append(frames[2])
    finally:
        if demo.poll() is None:
            demo.kill()
        demo.wait()
        log.close()
        sub.close()
    assert demo.returncode == 0, (tmp_path / f"demo-{encoding}.log").read_text()
    assert payloads, "no KV-event batch received"
    return payloads


class MapBatch(msgspec.Struct, omit_defaults=True):
    """The batch envelope of the `map-batch` encoding (vLLM's EventBatch without array_like); the events inside are
    decoded with vLLM's own event classes."""
    ts: float
    events: list[BlockStored | BlockRemoved | AllBlocksCleared]
    data_parallel_rank: int | None = None


def check_events(events):
    kinds = {type(e).__name__ for e in events}
    assert "BlockStored" in kinds, kinds
    media = set()
    for e in events:
        if isinstance(e, (BlockStored, BlockRemoved)):
            assert e.block_hashes
            assert all(isinstance(h, int) and 0 <= h < 1 << 64 for h in e.block_hashes)
            assert e.medium in MEDIA, e.medium
            media.add(e.medium)
        if isinstance(e, BlockStored):
            assert e.block_size == 16
            assert e.parent_block_hash is None or 0 <= e.parent_block_hash < 1 << 64
    assert "GPU" in media, media   # the demo's G1 (it moves no bytes, so publishes no lower tier)


def test_map_encoded_batches_decode_with_vllms_own_kv_event_batch(tmp_path):
    decoder = msgspec.msgpack.Decoder(KVEventBatch)
    events = []
    for payload in demo_stream("map", tmp_path):
        batch = decoder.decode(payload)
        assert isinstance(batch, KVEventBatch)
        assert batch.ts > 1e9 and batch.data_parallel_rank == 0
        events.extend(batch.events)
    check_events(events)


def test_map_batch_encoded_events_decode_as_vllms_own_event_types(tmp_path):
    events = []
    for payload in demo_stream("map-batch", tmp_path):
        batch = msgspec.msgpack.decode(payload, type=MapBatch)
        assert batch.ts > 1e9 and batch.data_parallel_rank == 0
        events.extend(batch.events)
    check_events(events)


def test_array_encoded_batches_decode_with_vllms_envelope_and_carry_tagged_array_events(tmp_path):
    from vllm.distributed.kv_events import EventBatch
    events = []
    for payload in demo_stream("array", tmp_path):
        batch = msgspec.msgpack.decode(payload, type=EventBatch)   # vLLM's array-like envelope, events untyped
        assert batch.ts > 1e9
        for e in batch.events:
            assert isinstance(e, list) and e[0] in ("BlockStored", "BlockRemoved", "AllBlocksCleared")
            if e[0] == "BlockStored":   # vLLM's field order: hashes, parent, tokens, block_size, lora_id, medium
                events.append(BlockStored(block_hashes=e[1], parent_block_hash=e[2], token_ids=e[3],
                                          block_size=e[4], lora_id=e[5], medium=e[6],
                                          lora_name=e[7] if len(e) > 7 else None))
            elif e[0] == "BlockRemoved":
                events.append(BlockRemoved(block_hashes=e[1], medium=e[2]))
    check_events(events)


@pytest.mark.xfail(strict=True, raises=msgspec.ValidationError,
                   reason="vLLM 0.33's KVEventBatch reads map events; kvbm4j's array encoding is the older all-array form")
def test_vllms_own_batch_decoder_refuses_the_older_all_array_form(tmp_path):
    decoder = msgspec.msgpack.Decoder(KVEventBatch)
    for payload in demo_stream("array", tmp_path):
        decoder.decode(payload)
