"""The kvbm4j connector against vLLM's real classes (its connector factory, Scheduler, Request and block hasher,
KVConnectorOutput, KV-event types) and a real `kvbm4j serve` process. Each "engine" is a vLLM Scheduler plus a
worker-side connector with CPU KV tensors in vLLM's per-layer layout; two engines sharing one service stand for two
vLLM instances on a node. The model forward is not run (no GPU): the tests fill the KV tensors themselves and drive
the worker connector the way vLLM's model runner does (tiny_model.run_step)."""

import os
import random
import time

import msgspec
import pytest
import torch

from vllm.distributed.kv_events import MEDIUM_CPU, BlockStored, KVEventBatch
from vllm.distributed.kv_transfer.kv_connector.factory import KVConnectorFactory
from vllm.v1.core.kv_cache_utils import maybe_convert_block_hash

from kvbm4j_client import KvClient
from kvbm4j_connectors import vllm_connector
from kvbm4j_connectors.vllm_connector import Kvbm4jConnector, TESTED_VLLM
import tiny_model as tm


def engine(model_dir, service, seed=None, tenant="vllm-test"):
    config = tm.vllm_config(model_dir, service.socket, tenant=tenant)
    sched = tm.scheduler(config)
    worker, caches = tm.worker_connector(config, seed=seed)
    return sched, worker, caches


def block_ids_of(sched, req_id):
    return list(sched.kv_cache_manager.get_blocks(req_id).get_block_ids()[0])


def assert_same_block(caches_a, a_block, caches_b, b_block):
    for name in tm.LAYER_NAMES:
        assert torch.equal(caches_a[name][a_block], caches_b[name][b_block]), f"layer {name}"


def is_zero(caches, block):
    return all(not caches[name][block].any() for name in tm.LAYER_NAMES)


def wait_for(svc, predicate, what, timeout_s=30):
    """Waits for the service's write-backs (they run on its transfer thread); fails naming what did not happen."""
    deadline = time.monotonic() + timeout_s
    with KvClient(svc.socket, tenant="probe") as kv:
        while time.monotonic() < deadline:
            stats = kv.stats()
            if predicate(stats):
                return stats
            time.sleep(0.05)
    raise AssertionError(f"service: {what} not seen in {timeout_s} s: {stats}")


class RecordingPublisher:
    """A double of vLLM's event publisher, named as such: keeps each KVEventBatch the scheduler publishes."""

    def __init__(self):
        self.batches = []

    def publish(self, batch):
        self.batches.append(batch)

    def shutdown(self):
        pass


def test_vllm_version_is_the_one_the_connector_was_written_against():
    import vllm
    assert vllm.__version__ == TESTED_VLLM


def test_vllms_factory_loads_the_connector_by_module_path(model_dir, start_service):
    svc = start_service()
    config = tm.vllm_config(model_dir, svc.socket)
    assert KVConnectorFactory.get_connector_class(config.kv_transfer_config) is Kvbm4jConnector
    sched = tm.scheduler(config)
    assert isinstance(sched.connector, Kvbm4jConnector)
    bad = tm.vllm_config(model_dir, svc.socket, extra={"kvbm4j.deadline": 5})
    with pytest.raises(ValueError, match="unknown key kvbm4j.deadline"):
        tm.scheduler(bad)


def test_bytes_saved_from_one_requests_blocks_come_back_identical_into_another_requests_blocks(model_dir,
                                                                                                start_service):
    svc = start_service()
    sched_a, worker_a, caches_a = engine(model_dir, svc, seed=1)
    prompt = list(range(100, 170))                      # 4 full blocks and 6 tokens
    req_a = tm.request("a", prompt)
    sched_a.add_request(req_a)
    publisher = RecordingPublisher()
    sched_a.kv_event_publisher = publisher
    out, errors, meta = tm.run_step(sched_a, worker_a, caches_a)
    assert not errors and worker_a.counters["saved_blocks"] == 4
    a_blocks = block_ids_of(sched_a, "a")
    sched_a.update_from_output(out, tm.runner_output([req_a], worker_meta=meta))

    # vLLM's event stream now says where the blocks are: kvbm4j (CPU), by vLLM's own hashes.
    stored = [e for b in publisher.batches for e in b.events if isinstance(e, BlockStored) and e.medium == MEDIUM_CPU]
    assert len(stored) == 1
    assert stored[0].block_hashes == [maybe_convert_block_hash(h) for h in req_a.block_hashes[:4]]
    assert stored[0].token_ids == prompt[:64] and stored[0].block_size == tm.BLOCK
    encoded = msgspec.msgpack.encode(publisher.batches[-1])
    assert msgspec.msgpack.decode(encoded, type=KVEventBatch).events[-1] == stored[0]

    # Another engine on the node: its blocks for the same prompt are other GPU blocks.
    sched_b, worker_b, caches_b = engine(model_dir, svc)
    sched_b.add_request(tm.request("other", list(range(900, 940))))
    tm.run_step(sched_b, worker_b, caches_b)
    req_b = tm.request("b", prompt)
    sched_b.add_request(req_b)
    assert sched_b.connector.get_num_new_matched_tokens(req_b, 0) == (64, False)
    out, errors, _ = tm.run_step(sched_b, worker_b, caches_b)
    assert not errors
    assert out.num_scheduled_tokens["b"] == len(prompt) - 64
    b_blocks = block_ids_of(sched_b, "b")
    assert all(a != b for a, b in zip(a_blocks[:4], b_blocks[:4]))
    for pos in range(4):
        assert_same_block(caches_a, a_blocks[pos], caches_b, b_blocks[pos])
    assert is_zero(caches_b, b_blocks[4])                # the partial block is computed, not loaded
    assert worker_b.counters["loaded_blocks"] == 4


def test_a_prefix_partly_in_g2_and_partly_missing_loads_only_the_leading_part(model_dir, start_service):
    svc = start_service(g1_blocks=8, g2_blocks=64)
    sched_a, worker_a, caches_a = engine(model_dir, svc, seed=2)
    shared = list(range(300, 340))                      # 2 full blocks stored by engine A
    req_a = tm.request("a", shared)
    sched_a.add_request(req_a)
    tm.run_step(sched_a, worker_a, caches_a)
    a_blocks = block_ids_of(sched_a, "a")
    wait_for(svc, lambda s: s["engine.offloaded_blocks"] >= 2, "A's 2 blocks written to G2")
    # Other tenants' blocks push A's out of G1 (8 slots); each lands in G2 before the next, so G1 stays evictable.
    with KvClient(svc.socket, tenant="filler") as filler:
        rng = random.Random(7)
        for i in range(10):
            filler.store_blocks([rng.getrandbits(128)], [bytes(filler.block_bytes)])
            wait_for(svc, lambda s, n=i: s["engine.offloaded_blocks"] >= 3 + n, "a filler written to G2")
    before = wait_for(svc, lambda s: s["engine.evicted_blocks"] >= 4, "evictions from G1")

    sched_b, worker_b, caches_b = engine(model_dir, svc)
    prompt = shared + list(range(600, 660))             # 6 full blocks, the first 2 in G2, the rest nowhere
    req_b = tm.request("b", prompt)
    sched_b.add_request(req_b)
    out, errors, _ = tm.run_step(sched_b, worker_b, caches_b)
    assert not errors
    assert out.num_scheduled_tokens["b"] == len(prompt) - 32
    b_blocks = block_ids_of(sched_b, "b")
    for pos in range(2):
        assert_same_block(caches_a, a_blocks[pos], caches_b, b_blocks[pos])
    assert all(is_zero(caches_b, b) for b in b_blocks[2:])
    after = wait_for(svc, lambda s: True, "stats")
    assert after["engine.onboarded_blocks"] - before["engine.onboarded_blocks"] == 2   # from G2, not G1


def corrupt_g3_copy(g3_root, block, at=1000):
    """Flips bytes of the G3 slot that holds exactly these block bytes (found by content in the slot file)."""
    path = os.path.join(g3_root, "g3-slots.dat")
    with open(path, "r+b") as f:
        data = f.read()
        where = data.find(block)
        assert where >= 0 and data.find(block, where + 1) < 0, "the block's bytes are in one G3 slot"
        f.seek(where + at)
        f.write(bytes(b ^ 0xFF for b in data[where + at:where + at + 8]))


def test_a_corrupted_block_is_reported_as_a_load_error_and_vllm_recomputes_it(model_dir, start_service, tmp_path):
    g3 = tmp_path / "g3"
    tiers = dict(g1_blocks=32, g2_blocks=16, g3_root=str(g3), g3_slots=64)
    svc = start_service(**tiers)
    sched_a, worker_a, caches_a = engine(model_dir, svc, seed=3)
    prompt = list(range(700, 770))                     # 4 full blocks
    req_a = tm.request("a", prompt)
    sched_a.add_request(req_a)
    tm.run_step(sched_a, worker_a, caches_a)
    a_blocks = block_ids_of(sched_a, "a")
    wait_for(svc, lambda s: s["engine.g3_offloaded_blocks"] >= 4, "A's blocks written to G3")
    worker_a.shutdown()
    sched_a.connector.shutdown()
    svc.stop()                                           # SIGTERM: write-backs settle, G3 keeps the blocks

    # Block 2's bytes, as the connector laid them out: every layer's [H, N, C] view in layer-name order.
    third = b"".join(caches_a[n][a_blocks[2]].contiguous().numpy().tobytes() for n in sorted(tm.LAYER_NAMES))
    corrupt_g3_copy(str(g3), third)
    svc = start_service("svc2", **tiers)                  # warm restart over the same g3.root: G1 and G2 empty

    sched_b, worker_b, caches_b = engine(model_dir, svc)
    req_b = tm.request("b", prompt)
    sched_b.add_request(req_b)
    # One lookup only before the load: a second one after the failed onboard would (rightly) answer 2 blocks.
    out, errors, meta = tm.run_step(sched_b, worker_b, caches_b)
    assert out.num_scheduled_tokens["b"] == len(prompt) - 64   # the scheduler was told G3 has all 4
    b_blocks = block_ids_of(sched_b, "b")
    assert errors == {b_blocks[2], b_blocks[3]}          # the corrupted block and the one after it
    for pos in range(2):
        assert_same_block(caches_a, a_blocks[pos], caches_b, b_blocks[pos])
    assert is_zero(caches_b, b_blocks[2])                # never used
    # vLLM's scheduler takes the report (kv_load_failure_policy=recompute): the request goes back to block 2.
    sched_b.update_from_output(out, tm.runner_output([req_b], invalid_block_ids=errors, worker_meta=meta))
    assert req_b.num_computed_tokens == 2 * tm.BLOCK
    wait_for(svc, lambda s: s["engine.g3_corrupt_blocks"] >= 1, "the service counting the corrupt G3 block")


def tp_engine(model_dir, service, monkeypatch, seeds):
    """A TP-2 engine: one Scheduler and two worker connectors, each told its rank (vLLM's parallel groups are not
    set up in one process: `_this_rank` is replaced by a double that answers the rank, named as such)."""
    config = tm.vllm_config(model_dir, service.socket, tp=2)
    sched = tm.scheduler(config)
    workers = []
    for rank, seed in enumerate(seeds):
        monkeypatch.setattr(vllm_connector, "_this_rank", lambda pp, tp, r=rank: (0, r))
        workers.append(tm.worker_connector(config, seed=seed))
    return sched, workers


class RefusingClient:
    """A double of a rank's KvClient whose STORE_PREPARE is refused NO_SPACE (everything else passes through)."""

    def __init__(self, real):
        self.real = real

    def prepare(self, *args, **kwargs):
        from kvbm4j_client import KvServiceError
        raise KvServiceError(9, "STORE_PREPARE refused by the test double")

    def __getattr__(self, name):
        return getattr(self.real, name)


def tp_step(sched, workers, layer_saves=True):
    out = sched.schedule()
    metas, errors = [], set()
    for worker, caches in workers:
        worker.bind_connector_metadata(out.kv_connector_metadata)
        worker.start_load_kv(None)
        for name in tm.LAYER_NAMES:
            if layer_saves:                             # False: as in a CUDA-graph replay, no save_kv_layer
                worker.save_kv_layer(name, caches[name], None)
        worker.wait_for_save()
        errors |= worker.get_block_ids_with_load_errors()
        metas.append(worker.build_connector_worker_meta())
        worker.clear_connector_metadata()
    meta = None                                         # as vLLM's KVOutputAggregator: a None is skipped
    for m in metas:
        if meta is None:
            meta = m
        elif m is not None:
            meta = meta.aggregate(m)
    return out, errors, meta


def test_tensor_parallel_ranks_store_and_load_their_own_shards(model_dir, start_service, monkeypatch):
    svc = start_service()
    sched_a, workers_a = tp_engine(model_dir, svc, monkeypatch, seeds=(10, 11))
    prompt = list(range(1200, 1240))                    # 2 full blocks
    req = tm.request("a", prompt)
    sched_a.add_request(req)
    publisher = RecordingPublisher()
    sched_a.kv_event_publisher = publisher
    out, _, meta = tp_step(sched_a, workers_a)
    sched_a.update_from_output(out, tm.runner_output([req], worker_meta=meta))
    assert [len(e.block_hashes) for b in publisher.batches for e in b.events if isinstance(e, BlockStored)] == [2]
    a_blocks = block_ids_of(sched_a, "a")

    # Rank 1's store of this prompt is refused: no rank-1 shard, so no hit and no event.
    lonely = tm.request("lonely", list(range(1300, 1340)))
    sched_a.add_request(lonely)
    worker1 = workers_a[1][0]
    worker1._kv = RefusingClient(worker1._kv)
    out, _, meta = tp_step(sched_a, workers_a, layer_saves=False)
    worker1._kv = worker1._kv.real
    assert workers_a[0][0].counters["layers_saved_at_wait"] == tm.LAYERS   # saved without save_kv_layer
    assert worker1.counters["save_refused"] == 2
    sched_a.update_from_output(out, tm.runner_output([req, lonely], worker_meta=meta))
    assert [len(e.block_hashes) for b in publisher.batches for e in b.events if isinstance(e, BlockStored)] == [2]

    sched_b, workers_b = tp_engine(model_dir, svc, monkeypatch, seeds=(None, None))
    assert sched_b.connector.get_num_new_matched_tokens(tm.request("x", list(range(1300, 1340))), 0) == (0, False)
    req_b = tm.request("b", prompt)
    sched_b.add_request(req_b)
    out, errors, _ = tp_step(sched_b, workers_b)
    assert not errors and out.num_scheduled_tokens["b"] == len(prompt) - 32
    b_blocks = block_ids_of(sched_b, "b")
    for rank in range(2):                               # each rank got its own shard back
        for pos in range(2):
            assert_same_block(workers_a[rank][1], a_blocks[pos], workers_b[rank][1], b_blocks[pos])
    assert not torch.equal(workers_b[0][1][tm.LAYER_NAMES[0]][b_blocks[0]],
                           workers_b[1][1][tm.LAYER_NAMES[0]][b_blocks[0]])
