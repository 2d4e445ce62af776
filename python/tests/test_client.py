import pytest

from kvbm4j_client import (KvClient, KvServiceError, CHECKSUM_MISMATCH, DEDUPLICATED, MODE_COPY, STORED)
from blocks import block, ids


def test_stored_blocks_are_looked_up_and_loaded_from_shared_memory(socket_path):
    with KvClient(socket_path, tenant="py-a") as kv:
        assert kv.mapped and kv.shm_path
        seq = ids(101, 5)
        assert kv.store_blocks(seq[:3], [block(i, kv.block_bytes) for i in seq[:3]]) == [STORED] * 3
        hit = kv.lookup(seq)
        assert hit.prefix == 3 and hit.lease != 0
        loaded = kv.load(hit.lease, 1000)
        assert [bytes(kv.block(off)) for off in loaded.offsets] == [block(i, kv.block_bytes) for i in seq[:3]]
        kv.release(hit.lease)


def test_a_second_store_of_the_same_ids_deduplicates(socket_path):
    with KvClient(socket_path, tenant="py-a") as kv:
        seq = ids(102, 2)
        data = [block(i, kv.block_bytes) for i in seq]
        kv.store_blocks(seq, data)
        assert kv.store_blocks(seq, data) == [DEDUPLICATED] * 2


def test_a_wrong_checksum_stores_nothing(socket_path):
    with KvClient(socket_path, tenant="py-a") as kv:
        seq = ids(103, 1)
        prepared = kv.prepare(seq)
        kv.block(prepared.offsets[0])[:] = block(seq[0], kv.block_bytes)
        assert kv.commit(prepared.handle, [12345]) == [CHECKSUM_MISMATCH]
        assert kv.lookup(seq).prefix == 0


def test_tokens_are_hashed_by_the_service_and_the_missing_blocks_stored_by_id(socket_path):
    with KvClient(socket_path, tenant="py-tokens") as kv:
        tokens = list(range(500, 500 + 16 * 4 + 3))
        miss = kv.lookup_tokens(tokens)
        assert miss.prefix == 0 and len(miss.ids) == 4
        kv.store_blocks(miss.ids, [block(i, kv.block_bytes) for i in miss.ids])
        hit = kv.lookup_tokens(tokens)
        assert hit.prefix == 4 and hit.ids == miss.ids
        assert kv.load_blocks(hit.ids) == [block(i, kv.block_bytes) for i in hit.ids]
        kv.release(hit.lease)


def test_another_tenant_sees_nothing_and_cannot_use_a_foreign_lease(socket_path):
    with KvClient(socket_path, tenant="py-a") as a, KvClient(socket_path, tenant="py-b") as b:
        seq = ids(104, 2)
        a.store_blocks(seq, [block(i, a.block_bytes) for i in seq])
        assert b.lookup(seq).prefix == 0
        lease = a.lookup(seq).lease
        with pytest.raises(KvServiceError) as err:
            b.load(lease)
        assert err.value.name == "UNKNOWN_HANDLE"
        a.release(lease)


def test_a_copy_mode_session_moves_bytes_through_the_socket(socket_path):
    with KvClient(socket_path, tenant="guest") as guest, KvClient(socket_path, tenant="py-copy", mode=MODE_COPY) as c:
        assert not guest.mapped and guest.shm_path == ""
        assert not c.mapped
        for kv, seed in ((guest, 105), (c, 106)):
            seq = ids(seed, 3)
            assert kv.store_blocks(seq, [block(i, kv.block_bytes) for i in seq]) == [STORED] * 3
            assert kv.load_blocks(seq) == [block(i, kv.block_bytes) for i in seq]
            with pytest.raises(RuntimeError):
                kv.block(0)


def test_a_version_mismatch_names_both_versions(socket_path):
    with pytest.raises(KvServiceError) as err:
        KvClient(socket_path, version=9)
    assert err.value.name == "VERSION"
    assert "version 9" in err.value.message and "version 1" in err.value.message


def test_stats_name_engine_and_service_counters(socket_path):
    with KvClient(socket_path) as kv:
        stats = kv.stats()
        assert stats["engine.registered_blocks"] > 0
        assert "service.handles_in_use" in stats
