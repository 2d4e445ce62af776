"""kvbm4j as SGLang's HiCache L3 storage backend (``HiCacheStorage``), over the node service's Python client.

Written against SGLang 0.5.23 (``sglang/srt/mem_cache/hicache_storage.py`` and ``storage/backend_factory.py`` of
that release) and tested there (``make test-sglang``, docs/CONNECTORS.md). SGLang loads it as a dynamic backend::

    --enable-hierarchical-cache --hicache-storage-backend dynamic \\
    --hicache-storage-backend-extra-config '{"backend_name": "kvbm4j",
        "module_path": "kvbm4j_connectors.sglang_storage", "class_name": "Kvbm4jHiCacheStorage",
        "interface_v1": 1, "kvbm4j.socket": "/run/kvbm4j.sock"}'

Design note
-----------
SGLang's cache controller moves whole pages between its host pool (L2) and the backend (L3), keyed by page hashes
(``get_storage_hash_str``: hex SHA-256 chained over the page's tokens and the previous page's hash). Each key becomes
a 128-bit service id (its first 32 hex digits; a key that is not hex is hashed with BLAKE2b-128), salted by the
service with the session's tenant. One page = one service block: the HELLO states ``page_size`` tokens and the
host pool's page bytes, so a service configured for another shape refuses the session (LAYOUT).

* ``batch_exists``: LOOKUP of the keys (``extra_info.prefix_keys`` are not needed: ids match position by position),
  the count of leading pages present, the lease released at once (SGLang fetches later with ``batch_get*``).
* ``batch_get_v1`` (``interface_v1``: straight into the host pool at ``host_indices``) and ``batch_get`` (into the
  flat tensors SGLang passes): LOOKUP, LOAD (the leading part present by the deadline), copy out of shared memory,
  RELEASE; pages not delivered are ``False`` / ``None``, never partial bytes.
* ``batch_set_v1`` / ``batch_set``: STORE_PREPARE (at the position ``len(prefix_keys)`` with the previous key as
  parent when SGLang gives them), copy in, COMMIT with CRC-32; STORED and DEDUPLICATED are successes.

Tensor parallelism: each rank's pages are its shard, so the tenant names the rank (``<tenant>/tp<r>of<n>``, plus the
PP rank); MLA models share one copy (``<tenant>/mla``) and only SGLang's storage writer stores. Not thread-safe
beyond what SGLang does: every call holds the backend's lock (SGLang calls from its prefetch and backup threads).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from typing import Any, List, Optional

import torch

from sglang.srt.mem_cache.hicache_storage import HiCacheStorage, HiCacheStorageConfig, HiCacheStorageExtraInfo

from kvbm4j_client import DEDUPLICATED, STORED, KvClient, KvServiceError
from kvbm4j_connectors import id_of_hash

TESTED_SGLANG = "0.5.23"
DEFAULT_TENANT = "sglang"
DEFAULT_LOAD_DEADLINE_MS = 2000
_HEX = set("0123456789abcdefABCDEF")


def id_of_key(key: str) -> int:
    """SGLang's page key as a service id: its first 32 hex digits, else BLAKE2b-128 of its UTF-8 bytes."""
    if len(key) >= 32 and set(key[:32]) <= _HEX:
        return int(key[:32], 16)
    return id_of_hash(hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest())


class Kvbm4jHiCacheStorage(HiCacheStorage):
    """SGLang HiCache storage backend over the kvbm4j node service (see the module's design note)."""

    def __init__(self, storage_config: HiCacheStorageConfig, kwargs: Optional[dict] = None):
        extra = dict(storage_config.extra_config or {}) if storage_config is not None else {}
        known = {"kvbm4j.socket", "kvbm4j.tenant", "kvbm4j.load_deadline_ms", "kvbm4j.model"}
        unknown = sorted(k for k in extra if k.startswith("kvbm4j.") and k not in known)
        if unknown:
            raise ValueError(f"hicache storage extra config: unknown key {unknown[0]} (known: {sorted(known)})")
        self.socket = extra.get("kvbm4j.socket")
        if not self.socket:
            raise ValueError("hicache storage extra config: kvbm4j.socket (the service's Unix socket) is required")
        self.deadline_ms = int(extra.get("kvbm4j.load_deadline_ms", DEFAULT_LOAD_DEADLINE_MS))
        if not 0 <= self.deadline_ms <= 600000:
            raise ValueError(f"hicache storage extra config: kvbm4j.load_deadline_ms {self.deadline_ms} is outside "
                             "0..600000")
        self.model = str(extra.get("kvbm4j.model", ""))
        tenant = str(extra.get("kvbm4j.tenant", DEFAULT_TENANT))
        cfg = storage_config
        if cfg.is_mla_model:
            self.tenant = f"{tenant}/mla"
        else:
            self.tenant = f"{tenant}/pp{cfg.pp_rank}tp{cfg.tp_rank}of{cfg.pp_size}x{cfg.tp_size}"
        self.writer = cfg.is_storage_writer
        self.kv: Optional[KvClient] = None
        self.mem_pool_host = None
        self._lock = threading.Lock()
        self.counters = {"exists_calls": 0, "hit_pages": 0, "got_pages": 0, "missed_pages": 0, "set_pages": 0,
                         "set_refused": 0}

    # -- setup ----------------------------------------------------------------------------------------------

    def register_mem_pool_host(self, mem_pool_host):
        super().register_mem_pool_host(mem_pool_host)
        page = mem_pool_host.get_dummy_flat_data_page()
        self.page_bytes = page.numel() * page.element_size()
        self.page_dtype = page.dtype
        self.page_numel = page.numel()
        self.page_size = mem_pool_host.page_size
        if self.kv is not None:
            self.kv.close()
        self.kv = KvClient(self.socket, tenant=self.tenant, model=self.model, block_tokens=self.page_size,
                           block_bytes=self.page_bytes)
        if not self.kv.mapped:
            raise ValueError(f"tenant {self.tenant} is a copy tenant of the service: the backend needs a mapped "
                             "session")

    def _slot(self, offset: int) -> torch.Tensor:
        return torch.frombuffer(self.kv.block(offset), dtype=torch.uint8).view(self.page_dtype)

    # -- exists ---------------------------------------------------------------------------------------------

    def batch_exists(self, keys: List[str], extra_info: Optional[HiCacheStorageExtraInfo] = None) -> int:
        if not keys:
            return 0
        with self._lock:
            self.counters["exists_calls"] += 1
            hit = self.kv.lookup([id_of_key(k) for k in keys])
            if hit.lease:
                self.kv.release(hit.lease)
            self.counters["hit_pages"] += hit.prefix
            return hit.prefix

    def exists(self, key: str) -> bool:
        return self.batch_exists([key]) == 1

    # -- get ------------------------------------------------------------------------------------------------

    def _get_pages(self, keys: List[str], copy_out) -> List[bool]:
        """LOOKUP, LOAD, ``copy_out(i, slot tensor)`` for each delivered leading page, RELEASE."""
        done = [False] * len(keys)
        if not keys:
            return done
        with self._lock:
            lease = 0
            try:
                hit = self.kv.lookup([id_of_key(k) for k in keys])
                lease = hit.lease
                if lease:
                    offsets = self.kv.load(lease, self.deadline_ms).offsets
                    for i, off in enumerate(offsets):
                        copy_out(i, self._slot(off))
                        done[i] = True
            except (KvServiceError, ConnectionError):
                pass   # what was not copied is a miss; SGLang computes it
            finally:
                if lease:
                    try:
                        self.kv.release(lease)
                    except (KvServiceError, ConnectionError):
                        pass
            got = sum(done)
            self.counters["got_pages"] += got
            self.counters["missed_pages"] += len(keys) - got
        return done

    def batch_get_v1(self, keys: List[str], host_indices: torch.Tensor,
                     extra_info: Optional[HiCacheStorageExtraInfo] = None) -> List[bool]:
        pool = self.mem_pool_host
        return self._get_pages(keys, lambda i, slot: pool.set_from_flat_data_page(
            int(host_indices[i * self.page_size]), slot))

    def batch_get(self, keys: List[str], target_locations: Optional[Any] = None,
                  target_sizes: Optional[Any] = None) -> List[Optional[torch.Tensor]]:
        if target_locations is None:
            target_locations = [torch.empty(self.page_numel, dtype=self.page_dtype) for _ in keys]
        done = self._get_pages(keys, lambda i, slot: target_locations[i].copy_(slot))
        return [t if ok else None for t, ok in zip(target_locations, done)]

    def get(self, key: str, target_location: Optional[Any] = None, target_sizes: Optional[Any] = None):
        return self.batch_get([key], [target_location] if target_location is not None else None)[0]

    # -- set ------------------------------------------------------------------------------------------------

    def _set_pages(self, keys: List[str], pages, extra_info: Optional[HiCacheStorageExtraInfo]) -> List[bool]:
        if not keys:
            return []
        if not self.writer:
            return [True] * len(keys)   # MLA: another rank writes the one shared copy
        prefix = extra_info.prefix_keys if extra_info is not None and extra_info.prefix_keys else []
        first = len(prefix)
        parent = id_of_key(prefix[-1]) if prefix else None
        with self._lock:
            try:
                prepared = self.kv.prepare([id_of_key(k) for k in keys], first=first, parent=parent)
            except KvServiceError:   # NO_SPACE, BUSY, LIMIT: not stored, a later miss
                self.counters["set_refused"] += len(keys)
                return [False] * len(keys)
            sums = []
            for i, off in enumerate(prepared.offsets):
                self._slot(off).copy_(pages(i).reshape(-1))
                sums.append(zlib.crc32(self.kv.block(off)) & 0xFFFFFFFF)
            outcomes = self.kv.commit(prepared.handle, sums)
            ok = [o in (STORED, DEDUPLICATED) for o in outcomes]
            self.counters["set_pages"] += sum(ok)
            return ok

    def batch_set_v1(self, keys: List[str], host_indices: torch.Tensor,
                     extra_info: Optional[HiCacheStorageExtraInfo] = None) -> List[bool]:
        pool = self.mem_pool_host
        return self._set_pages(keys, lambda i: pool.get_data_page(int(host_indices[i * self.page_size]), flat=True),
                               extra_info)

    def batch_set(self, keys: List[str], values: Optional[Any] = None, target_locations: Optional[Any] = None,
                  target_sizes: Optional[Any] = None) -> bool:
        return all(self._set_pages(keys, lambda i: values[i], None))

    def set(self, key: str, value: Optional[Any] = None, target_location: Optional[Any] = None,
            target_sizes: Optional[Any] = None) -> bool:
        return self.batch_set([key], [value])

    # -- rest -----------------------------------------------------------------------------------------------

    def get_stats(self):
        return dict(self.counters)

    def close(self):
        if self.kv is not None:
            self.kv.close()
            self.kv = None
