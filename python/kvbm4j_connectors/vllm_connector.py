"""kvbm4j's KV connector for vLLM: ``KVConnectorBase_V1`` over the node service's Python client.

Written against vLLM 0.33.0 (``vllm/distributed/kv_transfer/kv_connector/v1/base.py`` of that release) and tested
there (``make test-vllm``, docs/CONNECTORS.md). Loaded by vLLM's connector factory::

    --kv-transfer-config '{"kv_connector": "Kvbm4jConnector",
                           "kv_connector_module_path": "kvbm4j_connectors.vllm_connector",
                           "kv_role": "kv_both", "kv_load_failure_policy": "recompute",
                           "kv_connector_extra_config": {"kvbm4j.socket": "/run/kvbm4j.sock"}}'

Design note
-----------
Two halves, as vLLM splits every connector:

* **Scheduler side** (the scheduler process): ``get_num_new_matched_tokens`` asks the service (LOOKUP by id) how
  many further full blocks are cached below vLLM's own prefix cache (G1 shared memory, G2 host, G3 disk: the
  service onboards from G2/G3 as part of the lookup) and holds the lease that pins them until the request
  finishes. ``update_state_after_alloc`` turns the hit into a load plan (positions -> the GPU block ids vLLM
  allocated); ``build_connector_meta`` adds a save plan (every block that becomes full in this step and is not
  known to be in kvbm4j yet) and hands both to the workers. ``request_finished`` releases the leases; saves are
  synchronous (finished in ``wait_for_save`` of the step that computed the block), so vLLM may free the blocks at
  once. ``take_events`` hands vLLM ``BlockStored`` events (medium ``CPU``) for blocks every worker stored.
* **Worker side** (each TP/PP rank): ``register_kv_caches`` fixes the byte layout of one block of this rank
  (every layer's ``[H, N, C]`` (or ``[2, N, H, D]``) view, layers in name order) and opens the rank's session,
  whose HELLO states block tokens and block bytes (the service refuses a layout it does not serve).
  ``start_load_kv`` looks the plan's ids up, LOADs them (the leading part that arrived by the deadline) and copies
  the shared-memory slots into the GPU blocks; any planned block not delivered is a load error
  (``get_block_ids_with_load_errors``), so vLLM recomputes it and never uses it. ``save_kv_layer`` copies each
  layer of the planned blocks into slots prepared with STORE_PREPARE; ``wait_for_save`` copies the layers whose
  ``save_kv_layer`` did not run (CUDA-graph replays skip it) from the registered caches, then COMMITs with CRC-32
  checksums the service verifies.
  ``wait_for_layer_load`` has nothing to wait for: loads finish in ``start_load_kv`` (no layer pipelining yet).

Block identity: vLLM's own block hashes (its chained hash of parent, tokens and extra keys: LoRA name,
multimodal identifiers and offsets, ``cache_salt``, prompt-embedding digests) are the ids, their first 16 bytes as
a 128-bit id; the service salts them with the session's tenant. Tensor-parallel and pipeline ranks hold different
shards of one block, so each rank is a separate client whose tenant names its shard (``<tenant>/pp<p>tp<t>of
<P>x<T>``); the scheduler looks the ids up in every shard's tenant and takes the shortest prefix.

Threads: vLLM calls each half from one thread; the connector holds one client per half and is not thread-safe.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

import torch

from vllm.distributed.kv_events import MEDIUM_CPU, BlockStored
from vllm.distributed.kv_transfer.kv_connector.v1.base import (
    KVConnectorBase_V1,
    KVConnectorMetadata,
    KVConnectorRole,
    KVConnectorWorkerMetadata,
    SupportsHMA,
)
from vllm.logger import init_logger
from vllm.v1.core.kv_cache_utils import maybe_convert_block_hash

from kvbm4j_client import DEDUPLICATED, STORED, KvClient, KvServiceError
from kvbm4j_connectors import id_of_hash

if TYPE_CHECKING:
    from vllm.config import VllmConfig
    from vllm.forward_context import ForwardContext
    from vllm.v1.core.kv_cache_manager import KVCacheBlocks
    from vllm.v1.core.sched.output import SchedulerOutput
    from vllm.v1.kv_cache_interface import KVCacheConfig
    from vllm.v1.outputs import KVConnectorOutput
    from vllm.v1.request import Request

logger = init_logger(__name__)

TESTED_VLLM = "0.33.0"
DEFAULT_TENANT = "vllm"
DEFAULT_LOAD_DEADLINE_MS = 2000


# -- metadata: scheduler -> workers, workers -> scheduler (pickled across processes) ---------------------------

@dataclass
class LoadSpec:
    """Load blocks ``start..start+len(block_ids)-1`` of a request; ``ids`` are its ids from position 0."""
    req_id: str
    ids: List[int]
    start: int
    block_ids: List[int]


@dataclass
class SaveSpec:
    """Store blocks ``start..`` of a request (``parent``: the id at ``start - 1``) from ``block_ids``."""
    req_id: str
    start: int
    parent: Optional[int]
    ids: List[int]
    block_ids: List[int]


@dataclass
class Kvbm4jConnectorMetadata(KVConnectorMetadata):
    loads: List[LoadSpec] = field(default_factory=list)
    saves: List[SaveSpec] = field(default_factory=list)


@dataclass
class Kvbm4jWorkerMetadata(KVConnectorWorkerMetadata):
    """Positions each request's blocks were stored at (STORED or DEDUPLICATED) in one step, on this worker."""
    stored: Dict[str, Set[int]] = field(default_factory=dict)

    def aggregate(self, other: "KVConnectorWorkerMetadata") -> "KVConnectorWorkerMetadata":
        # A block is in kvbm4j only when every rank stored its shard: intersect.
        assert isinstance(other, Kvbm4jWorkerMetadata)
        both = {}
        for req, pos in self.stored.items():
            common = pos & other.stored.get(req, set())
            if common:
                both[req] = common
        return Kvbm4jWorkerMetadata(both)


# -- configuration ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kvbm4jSettings:
    socket: str
    tenant: str
    load_deadline_ms: int
    model: str

    @staticmethod
    def from_extra_config(extra: Dict[str, Any]) -> "Kvbm4jSettings":
        known = {"kvbm4j.socket", "kvbm4j.tenant", "kvbm4j.load_deadline_ms", "kvbm4j.model"}
        unknown = sorted(k for k in extra if k.startswith("kvbm4j.") and k not in known)
        if unknown:
            raise ValueError(f"kv_connector_extra_config: unknown key {unknown[0]} (known: {sorted(known)})")
        sock = extra.get("kvbm4j.socket")
        if not sock or not isinstance(sock, str):
            raise ValueError("kv_connector_extra_config: kvbm4j.socket (the service's Unix socket) is required")
        deadline = int(extra.get("kvbm4j.load_deadline_ms", DEFAULT_LOAD_DEADLINE_MS))
        if not 0 <= deadline <= 600000:
            raise ValueError(f"kv_connector_extra_config: kvbm4j.load_deadline_ms {deadline} is outside 0..600000")
        return Kvbm4jSettings(sock, str(extra.get("kvbm4j.tenant", DEFAULT_TENANT)), deadline,
                              str(extra.get("kvbm4j.model", "")))


def shard_tenant(tenant: str, pp_rank: int, tp_rank: int, pp_size: int, tp_size: int) -> str:
    return f"{tenant}/pp{pp_rank}tp{tp_rank}of{pp_size}x{tp_size}"


def _this_rank(pp_size: int, tp_size: int) -> Tuple[int, int]:
    """(pp rank, tp rank) of this worker; (0, 0) where vLLM's parallel groups are not set up and there is one rank."""
    try:
        from vllm.distributed.parallel_state import get_pp_group, get_tensor_model_parallel_rank
        return get_pp_group().rank_in_group, get_tensor_model_parallel_rank()
    except (AssertionError, AttributeError, RuntimeError):
        if pp_size * tp_size != 1:
            raise
        return 0, 0


class _LayerLayout:
    """Where one layer's part of a block lives in the block's bytes, and how to view that block in the layer."""

    def __init__(self, name: str, tensor: torch.Tensor, num_blocks: int, offset: int):
        self.name = name
        self.kv_first = tensor.dim() == 5 and tensor.shape[0] == 2 and tensor.shape[1] == num_blocks
        if not self.kv_first and tensor.shape[0] != num_blocks:
            raise ValueError(f"KV cache of layer {name}: shape {tuple(tensor.shape)} has no block dimension of "
                             f"{num_blocks} blocks first (or second after K/V)")
        view = self.block_view(tensor, 0)
        self.shape = tuple(view.shape)
        self.dtype = tensor.dtype
        self.nbytes = view.numel() * view.element_size()
        self.offset = offset

    def block_view(self, tensor: torch.Tensor, block_id: int) -> torch.Tensor:
        return tensor[:, block_id] if self.kv_first else tensor[block_id]

    def slot_view(self, slot_u8: torch.Tensor) -> torch.Tensor:
        return slot_u8[self.offset:self.offset + self.nbytes].view(self.dtype).view(self.shape)


class Kvbm4jConnector(KVConnectorBase_V1, SupportsHMA):
    """vLLM v1 KV connector over the kvbm4j node service (see the module's design note)."""

    def __init__(self, vllm_config: "VllmConfig", role: KVConnectorRole, kv_cache_config: "KVCacheConfig"):
        super().__init__(vllm_config=vllm_config, role=role, kv_cache_config=kv_cache_config)
        if kv_cache_config is not None and len(kv_cache_config.kv_cache_groups) > 1:
            raise ValueError(f"Kvbm4jConnector supports models with one KV cache group; this one has "
                             f"{len(kv_cache_config.kv_cache_groups)} (hybrid models are not supported yet)")
        self._settings = Kvbm4jSettings.from_extra_config(self._kv_transfer_config.kv_connector_extra_config or {})
        self._block_size = vllm_config.cache_config.block_size
        parallel = vllm_config.parallel_config
        self._pp_size, self._tp_size = parallel.pipeline_parallel_size, parallel.tensor_parallel_size
        self._loads_enabled = self._kv_transfer_config.is_kv_consumer
        self._saves_enabled = self._kv_transfer_config.is_kv_producer
        # Scheduler side.
        self._shards: List[KvClient] = []
        self._leases: Dict[str, List[Tuple[KvClient, int]]] = {}
        self._pending: Dict[str, Tuple[int, int, List[int]]] = {}   # req -> (start, prefix, ids[:prefix])
        self._requests: Dict[str, "Request"] = {}
        self._block_ids: Dict[str, List[int]] = {}
        self._saved_upto: Dict[str, int] = {}
        self._loads: List[LoadSpec] = []
        self._planned: Dict[Tuple[str, int], Tuple[bytes, Optional[bytes], List[int]]] = {}
        self._finished: Set[str] = set()
        self._events: List[BlockStored] = []
        # Worker side.
        self._kv: Optional[KvClient] = None
        self._layers: Dict[str, _LayerLayout] = {}
        self._kv_caches: Dict[str, torch.Tensor] = {}
        self._block_bytes = 0
        self._load_errors: Set[int] = set()
        self._prepared: Optional[List[Tuple[SaveSpec, Any, Set[str]]]] = None
        self._stored: Dict[str, Set[int]] = {}
        self._saves_this_step = False
        self.counters = {"lookups": 0, "hit_blocks": 0, "loaded_blocks": 0, "load_errors": 0, "saved_blocks": 0,
                         "save_refused": 0, "layers_saved_at_wait": 0}
        if role == KVConnectorRole.SCHEDULER:
            for p in range(self._pp_size):
                for t in range(self._tp_size):
                    self._shards.append(KvClient(self._settings.socket,
                                                 tenant=shard_tenant(self._settings.tenant, p, t, self._pp_size,
                                                                     self._tp_size),
                                                 model=self._settings.model, block_tokens=self._block_size))

    # ================================ scheduler side =========================================================

    def on_new_request(self, request: "Request") -> None:
        self._requests[request.request_id] = request

    def get_num_new_matched_tokens(self, request: "Request", num_computed_tokens: int) -> Tuple[Optional[int], bool]:
        req_id = request.request_id
        self._requests[req_id] = request
        self._release_leases(req_id)
        self._pending.pop(req_id, None)
        if not self._loads_enabled:
            return 0, False
        bs = self._block_size
        usable = min(len(request.block_hashes), (request.num_tokens - 1) // bs)  # one token is always computed
        start = num_computed_tokens // bs
        if usable <= start:
            return 0, False
        ids = [id_of_hash(h) for h in request.block_hashes[:usable]]
        prefix, leases = usable, []
        for kv in self._shards:
            hit = kv.lookup(ids)
            self.counters["lookups"] += 1
            if hit.lease:
                leases.append((kv, hit.lease))
            prefix = min(prefix, hit.prefix)
        self._leases[req_id] = leases
        if prefix <= start:
            self._release_leases(req_id)
            return 0, False
        self._pending[req_id] = (start, prefix, ids[:prefix])
        self.counters["hit_blocks"] += prefix - start
        return (prefix - start) * bs, False

    def update_state_after_alloc(self, request: "Request", blocks: "KVCacheBlocks", num_external_tokens: int):
        req_id = request.request_id
        plan = self._pending.pop(req_id, None)
        if num_external_tokens == 0 or plan is None:
            return
        start, prefix, ids = plan
        n = num_external_tokens // self._block_size
        assert start + n <= prefix, f"request {req_id}: vLLM asks for {n} blocks from {start}, {prefix} were found"
        block_ids = list(blocks.get_block_ids()[0])
        self._loads.append(LoadSpec(req_id, ids[:start + n], start, block_ids[start:start + n]))
        self._saved_upto[req_id] = max(self._saved_upto.get(req_id, 0), start + n)

    def build_connector_meta(self, scheduler_output: "SchedulerOutput") -> KVConnectorMetadata:
        meta = Kvbm4jConnectorMetadata(loads=self._loads)
        self._loads = []
        computed: Dict[str, int] = {}
        for new in scheduler_output.scheduled_new_reqs:
            self._block_ids[new.req_id] = list(new.block_ids[0])
            computed[new.req_id] = new.num_computed_tokens + scheduler_output.num_scheduled_tokens[new.req_id]
        cached = scheduler_output.scheduled_cached_reqs
        for i, req_id in enumerate(cached.req_ids):
            new_ids = cached.new_block_ids[i]
            if req_id in cached.resumed_req_ids:
                self._block_ids[req_id] = list(new_ids[0]) if new_ids is not None else []
            elif new_ids is not None:
                self._block_ids.setdefault(req_id, []).extend(new_ids[0])
            computed[req_id] = cached.num_computed_tokens[i] + scheduler_output.num_scheduled_tokens[req_id]
        if self._saves_enabled:
            for req_id, tokens in computed.items():
                spec = self._plan_save(req_id, tokens)
                if spec is not None:
                    meta.saves.append(spec)
        return meta

    def _plan_save(self, req_id: str, computed_tokens: int) -> Optional[SaveSpec]:
        request = self._requests.get(req_id)
        if request is None:
            return None
        bs = self._block_size
        block_ids = self._block_ids.get(req_id, [])
        full = min(computed_tokens // bs, len(request.block_hashes), len(block_ids))
        lo = self._saved_upto.get(req_id, 0)
        if full <= lo:
            return None
        hashes = request.block_hashes[:full]
        ids = [id_of_hash(h) for h in hashes]
        tokens = request.all_token_ids
        for pos in range(lo, full):
            self._planned[(req_id, pos)] = (hashes[pos], hashes[pos - 1] if pos else None,
                                            list(tokens[pos * bs:(pos + 1) * bs]))
        self._saved_upto[req_id] = full
        return SaveSpec(req_id, lo, ids[lo - 1] if lo else None, ids[lo:full], block_ids[lo:full])

    def update_connector_output(self, connector_output: "KVConnectorOutput"):
        meta = connector_output.kv_connector_worker_meta
        if isinstance(meta, Kvbm4jWorkerMetadata):
            for req_id, positions in meta.stored.items():
                self._emit_stored(req_id, sorted(positions))
        for req_id in self._finished:
            for key in [k for k in self._planned if k[0] == req_id]:
                del self._planned[key]
        self._finished.clear()

    def _emit_stored(self, req_id: str, positions: List[int]) -> None:
        """One BlockStored per run of consecutive positions (as vLLM sends one per run of a request's blocks)."""
        run: List[Tuple[bytes, Optional[bytes], List[int]]] = []
        last = None
        for pos in positions + [None]:
            planned = self._planned.pop((req_id, pos), None) if pos is not None else None
            if run and (planned is None or pos != last + 1):
                request = self._requests.get(req_id)
                lora = request.lora_request.lora_name if request is not None and request.lora_request else None
                self._events.append(BlockStored(
                    block_hashes=[maybe_convert_block_hash(h) for h, _, _ in run],
                    parent_block_hash=maybe_convert_block_hash(run[0][1]) if run[0][1] is not None else None,
                    token_ids=[t for _, _, toks in run for t in toks], block_size=self._block_size,
                    lora_id=None, medium=MEDIUM_CPU, lora_name=lora))
                run = []
            if planned is not None:
                run.append(planned)
                last = pos

    def request_finished(self, request: "Request", block_ids: List[int]) -> Tuple[bool, Optional[Dict[str, Any]]]:
        req_id = request.request_id
        self._release_leases(req_id)
        self._pending.pop(req_id, None)
        self._block_ids.pop(req_id, None)
        self._saved_upto.pop(req_id, None)
        self._requests.pop(req_id, None)
        self._finished.add(req_id)
        return False, None   # saves are synchronous: nothing of this request is still being copied

    def request_finished_all_groups(self, request: "Request", block_ids: Tuple[List[int], ...]):
        return self.request_finished(request, list(block_ids[0]) if block_ids else [])

    def take_events(self):
        events, self._events = self._events, []
        return events

    def _release_leases(self, req_id: str) -> None:
        for kv, lease in self._leases.pop(req_id, []):
            try:
                kv.release(lease)
            except KvServiceError as e:
                if e.name != "UNKNOWN_HANDLE":   # expired on its TTL: already released by the service
                    raise

    # ================================ worker side ============================================================

    def register_kv_caches(self, kv_caches: Dict[str, torch.Tensor]):
        num_blocks = self._kv_cache_config.num_blocks
        offset = 0
        self._layers = {}
        for name in sorted(kv_caches):
            layout = _LayerLayout(name, kv_caches[name], num_blocks, offset)
            self._layers[name] = layout
            offset += layout.nbytes
        self._kv_caches = dict(kv_caches)
        self._block_bytes = offset
        pp_rank, tp_rank = _this_rank(self._pp_size, self._tp_size)
        if self._kv is not None:
            self._kv.close()
        self._kv = KvClient(self._settings.socket,
                            tenant=shard_tenant(self._settings.tenant, pp_rank, tp_rank, self._pp_size, self._tp_size),
                            model=self._settings.model, block_tokens=self._block_size, block_bytes=offset)
        if not self._kv.mapped:
            raise ValueError(f"tenant {self._settings.tenant} is a copy tenant of the service: the vLLM connector "
                             "needs a mapped session")
        logger.info("Kvbm4jConnector: %d layers, %d bytes per block, service %s", len(self._layers), offset,
                    self._settings.socket)

    def unregister_kv_caches(self) -> None:
        self._kv_caches = {}

    def _slot(self, offset: int) -> torch.Tensor:
        return torch.frombuffer(self._kv.block(offset), dtype=torch.uint8)

    def start_load_kv(self, forward_context: "ForwardContext", **kwargs: Any) -> None:
        meta = self._get_connector_metadata()
        assert isinstance(meta, Kvbm4jConnectorMetadata)
        for spec in meta.loads:
            self._load(spec)

    def _load(self, spec: LoadSpec) -> None:
        got, lease, offsets = 0, 0, []
        try:
            hit = self._kv.lookup(spec.ids)
            lease = hit.lease
            if lease:
                offsets = self._kv.load(lease, self._settings.load_deadline_ms).offsets
                got = len(offsets)
            for j, block_id in enumerate(spec.block_ids):
                pos = spec.start + j
                if pos >= got:
                    self._load_errors.add(block_id)
                    self.counters["load_errors"] += 1
                    continue
                slot = self._slot(offsets[pos])
                for layer in self._layers.values():
                    layer.block_view(self._kv_caches[layer.name], block_id).copy_(layer.slot_view(slot))
                self.counters["loaded_blocks"] += 1
            if any(t.is_cuda for t in self._kv_caches.values()):
                torch.cuda.synchronize()   # the slots are read before the lease is released
        except (KvServiceError, ConnectionError) as e:
            logger.warning("Kvbm4jConnector: load of request %s failed: %s", spec.req_id, e)
            failed = [b for j, b in enumerate(spec.block_ids) if spec.start + j >= got]
            self._load_errors.update(spec.block_ids if got == 0 else failed)
        finally:
            if lease:
                try:
                    self._kv.release(lease)
                except (KvServiceError, ConnectionError):
                    pass   # the lease ends with its TTL or the session

    def wait_for_layer_load(self, layer_name: str) -> None:
        return   # loads complete in start_load_kv

    def _prepare_saves(self, meta: Kvbm4jConnectorMetadata) -> List[Tuple[SaveSpec, Any, Set[str]]]:
        if self._prepared is None:
            self._prepared = []
            for spec in meta.saves:
                try:
                    prepared = self._kv.prepare(spec.ids, first=spec.start, parent=spec.parent)
                except KvServiceError as e:   # NO_SPACE, BUSY, LIMIT: this save is dropped, a later miss
                    logger.debug("Kvbm4jConnector: store of request %s refused: %s", spec.req_id, e)
                    self.counters["save_refused"] += len(spec.ids)
                    continue
                self._prepared.append((spec, prepared, set()))
        return self._prepared

    def _copy_layer_out(self, layer: _LayerLayout, kv_layer: torch.Tensor, prepared) -> None:
        for spec, store, written in prepared:
            for j, block_id in enumerate(spec.block_ids):
                layer.slot_view(self._slot(store.offsets[j])).copy_(layer.block_view(kv_layer, block_id))
            written.add(layer.name)

    def save_kv_layer(self, layer_name: str, kv_layer: torch.Tensor, attn_metadata: Any, **kwargs: Any) -> None:
        meta = self._get_connector_metadata()
        assert isinstance(meta, Kvbm4jConnectorMetadata)
        if not meta.saves or layer_name not in self._layers:
            return
        self._copy_layer_out(self._layers[layer_name], kv_layer, self._prepare_saves(meta))

    def wait_for_save(self):
        meta = self._get_connector_metadata() if self.has_connector_metadata() else None
        if not isinstance(meta, Kvbm4jConnectorMetadata) or not meta.saves:
            return
        self._saves_this_step = True   # this rank reports, even nothing stored (vLLM skips a None)
        prepared = self._prepare_saves(meta)
        self._prepared = None
        # Layers whose save_kv_layer did not run (a CUDA-graph replay skips the attention wrapper that calls it)
        # are copied now from the registered caches: the step's forward has written them.
        for layer in self._layers.values():
            if any(layer.name not in written for _, _, written in prepared):
                self.counters["layers_saved_at_wait"] += 1
                self._copy_layer_out(layer, self._kv_caches[layer.name],
                                     [p for p in prepared if layer.name not in p[2]])
        if any(t.is_cuda for t in self._kv_caches.values()):
            torch.cuda.synchronize()
        for spec, store, _ in prepared:
            sums = [zlib.crc32(self._kv.block(off)) & 0xFFFFFFFF for off in store.offsets]
            outcomes = self._kv.commit(store.handle, sums)
            ok = {spec.start + j for j, o in enumerate(outcomes) if o in (STORED, DEDUPLICATED)}
            self.counters["saved_blocks"] += len(ok)
            if ok:
                self._stored.setdefault(spec.req_id, set()).update(ok)

    def build_connector_worker_meta(self) -> Optional[KVConnectorWorkerMetadata]:
        # vLLM's aggregator skips a worker's None, so a rank that had saves planned always answers (possibly
        # nothing stored): the intersection then drops blocks some rank did not store.
        if not self._saves_this_step and not self._stored:
            return None
        stored, self._stored, self._saves_this_step = self._stored, {}, False
        return Kvbm4jWorkerMetadata(stored)

    def get_finished(self, finished_req_ids: Set[str]) -> Tuple[Optional[Set[str]], Optional[Set[str]]]:
        return None, None   # no asynchronous sends or receives

    def get_block_ids_with_load_errors(self) -> Set[int]:
        errors, self._load_errors = self._load_errors, set()
        return errors

    def shutdown(self):
        for kv in self._shards:
            kv.close()
        self._shards = []
        if self._kv is not None:
            self._kv.close()
            self._kv = None
