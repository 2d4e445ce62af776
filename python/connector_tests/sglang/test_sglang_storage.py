"""The kvbm4j HiCache storage backend against SGLang's real classes (its StorageBackendFactory, HiCacheStorage,
host KV pools, page-hash function) and a real `kvbm4j serve` process."""

import pytest
import torch

from sglang.srt.mem_cache.hicache_storage import HiCacheStorage, HiCacheStorageExtraInfo
from sglang.srt.mem_cache.utils import get_storage_hash_str

from kvbm4j_connectors.sglang_storage import TESTED_SGLANG, Kvbm4jHiCacheStorage
from conftest import PAGE, backend, host_pool


def page_keys(tokens):
    return get_storage_hash_str(tokens, None, page_size=PAGE)


def indices(pages):
    """Host indices of whole pages, as SGLang passes them (page_size entries per page)."""
    return torch.tensor([p * PAGE + t for p in pages for t in range(PAGE)], dtype=torch.int64)


def test_sglang_version_is_the_one_the_backend_was_written_against():
    import sglang
    assert sglang.__version__ == TESTED_SGLANG


def test_sglangs_factory_creates_the_backend_as_a_dynamic_backend(service):
    storage = backend(service.socket, host_pool())
    assert isinstance(storage, Kvbm4jHiCacheStorage) and isinstance(storage, HiCacheStorage)
    with pytest.raises(ValueError, match="unknown key kvbm4j.sockett"):
        backend(service.socket, host_pool(), **{"kvbm4j.sockett": "x"})


def test_pages_set_from_one_host_pool_come_back_identical_into_another(service):
    host_a, host_b = host_pool(seed=1), host_pool()
    a = backend(service.socket, host_a)
    keys = page_keys(list(range(1000, 1000 + 4 * PAGE)))
    assert len(keys) == 4 and all(len(k) == 64 for k in keys)        # SGLang's hex SHA-256 page keys
    assert a.batch_set_v1(keys, indices([3, 4, 5, 6])) == [True] * 4
    b = backend(service.socket, host_b)                               # another SGLang instance on the node
    assert b.batch_exists(keys) == 4
    assert b.batch_get_v1(keys, indices([10, 20, 30, 40])) == [True] * 4
    for src, dst in zip([3, 4, 5, 6], [10, 20, 30, 40]):
        assert torch.equal(host_a.get_data_page(src * PAGE), host_b.get_data_page(dst * PAGE))
    assert not host_b.get_data_page(11 * PAGE).any()


def test_batch_exists_counts_only_the_leading_pages_present(service):
    storage = backend(service.socket, host_pool(seed=2))
    keys = page_keys(list(range(5000, 5000 + 5 * PAGE)))
    storage.batch_set_v1(keys[:2], indices([0, 1]))
    storage.batch_set_v1(keys[3:4], indices([3]), HiCacheStorageExtraInfo(prefix_keys=keys[:3]))
    assert storage.batch_exists(keys) == 2                            # key 3 is present, after a gap
    assert storage.batch_exists(keys[3:]) == 1
    assert storage.batch_exists(page_keys(list(range(9000, 9000 + PAGE)))) == 0
    got = storage.batch_get_v1(keys, indices([50, 51, 52, 53, 54]))
    assert got == [True, True, False, False, False]                   # only the leading part is loaded


def test_legacy_batch_get_and_set_move_flat_pages(service):
    host = host_pool(seed=3)
    storage = backend(service.socket, host)
    keys = page_keys(list(range(7000, 7000 + 2 * PAGE)))
    pages = [host.get_data_page(i * PAGE, flat=True).clone() for i in (7, 8)]
    assert storage.batch_set(keys, pages)
    out = storage.batch_get(keys + ["not-a-stored-key"], [host.get_dummy_flat_data_page() for _ in range(3)])
    assert torch.equal(out[0], pages[0]) and torch.equal(out[1], pages[1]) and out[2] is None
    assert storage.exists(keys[0]) and not storage.exists("not-a-stored-key")


def test_tensor_parallel_ranks_are_separate_tenants_of_one_service(service):
    keys = page_keys(list(range(8000, 8000 + PAGE)))
    rank0 = backend(service.socket, host_pool(seed=4), tp_rank=0, tp_size=2)
    rank1 = backend(service.socket, host_pool(seed=5), tp_rank=1, tp_size=2)
    assert rank0.batch_set_v1(keys, indices([2])) == [True]
    assert rank1.batch_exists(keys) == 0                              # rank 1's shard was not stored
    assert rank0.batch_exists(keys) == 1


def test_a_service_of_another_page_shape_refuses_the_backend(service):
    from kvbm4j_client import KvServiceError
    from sglang.srt.mem_cache.memory_pool import MHATokenToKVPool  # noqa: F401 (SGLang's pools are importable)
    import conftest
    wide = conftest.HEADS
    try:
        conftest.HEADS = 4
        with pytest.raises(KvServiceError) as err:
            backend(service.socket, host_pool())
        assert err.value.name == "LAYOUT"
    finally:
        conftest.HEADS = wide


def test_a_corrupted_page_is_a_miss_and_never_reaches_the_host_pool(tmp_path):
    import os
    from service import Service, write_config
    from conftest import HEADS, HEAD_DIM, LAYERS
    g3 = tmp_path / "g3"
    started = []

    def start(name):
        work = tmp_path / name
        work.mkdir()
        config = write_config(str(work / "kvbm4j.yaml"), layers=LAYERS, kv_heads=HEADS, head_dim=HEAD_DIM,
                              dtype="fp16", block_tokens=PAGE, g1_blocks=32, g2_blocks=16, g3_root=str(g3),
                              g3_slots=64)
        svc = Service(str(work), config).start()
        started.append(svc)
        return svc

    try:
        svc = start("one")
        host_a = host_pool(seed=6)
        a = backend(svc.socket, host_a)
        keys = page_keys(list(range(11000, 11000 + 3 * PAGE)))
        assert a.batch_set_v1(keys, indices([1, 2, 3])) == [True] * 3
        from kvbm4j_client import KvClient
        import time
        with KvClient(svc.socket, tenant="probe") as probe:
            deadline = time.monotonic() + 30
            while probe.stats()["engine.g3_offloaded_blocks"] < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        a.close()
        svc.stop()                                    # SIGTERM: the pages are in G3
        page = host_a.get_data_page(2 * PAGE).contiguous().numpy().tobytes()
        path = os.path.join(str(g3), "g3-slots.dat")
        with open(path, "r+b") as f:
            data = f.read()
            at = data.find(page)
            assert at >= 0 and data.find(page, at + 1) < 0
            f.seek(at + 100)
            f.write(bytes(b ^ 0xFF for b in data[at + 100:at + 108]))
        svc = start("two")                            # warm restart over the same G3
        host_b = host_pool()
        b = backend(svc.socket, host_b)
        assert b.batch_get_v1(keys, indices([20, 21, 22])) == [True, False, False]
        assert torch.equal(host_b.get_data_page(20 * PAGE), host_a.get_data_page(1 * PAGE))
        assert not host_b.get_data_page(21 * PAGE).any() and not host_b.get_data_page(22 * PAGE).any()
        assert b.batch_exists(keys) == 1              # the corrupt page is gone from the service's index
    finally:
        for s in started:
            s.stop()
