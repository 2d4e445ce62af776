"""A tiny local Llama configuration (no weights, no tokenizer, no hub access) and vLLM's real objects built from it:
VllmConfig, KVCacheConfig, a Scheduler (which creates the scheduler-side connector through vLLM's factory), a
worker-side connector from the same factory, CPU KV tensors in vLLM's per-layer layout, and requests hashed by
vLLM's own block hasher."""

import json
import os

import torch

from vllm import SamplingParams
from vllm.config import (CacheConfig, DeviceConfig, KVTransferConfig, ModelConfig, ParallelConfig, SchedulerConfig,
                         VllmConfig)
from vllm.distributed.kv_transfer.kv_connector.factory import KVConnectorFactory
from vllm.distributed.kv_transfer.kv_connector.v1.base import KVConnectorRole
from vllm.utils.hashing import sha256
from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash
from vllm.v1.core.sched.scheduler import Scheduler
from vllm.v1.kv_cache_interface import FullAttentionSpec, KVCacheConfig, KVCacheGroupSpec
from vllm.v1.outputs import KVConnectorOutput, ModelRunnerOutput
from vllm.v1.request import Request
from vllm.v1.structured_output import StructuredOutputManager

LAYERS, KV_HEADS, HEAD_DIM, BLOCK = 2, 2, 16, 16
DTYPE = torch.float16
LAYER_NAMES = [f"model.layers.{i}.self_attn.attn" for i in range(LAYERS)]
EOS = 2
CONNECTOR = "Kvbm4jConnector"
MODULE = "kvbm4j_connectors.vllm_connector"

init_none_hash(sha256)


def write_model_dir(path):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": KV_HEADS * HEAD_DIM * 2,
                   "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": KV_HEADS,
                   "head_dim": HEAD_DIM, "num_hidden_layers": LAYERS, "vocab_size": 1024,
                   "max_position_embeddings": 4096, "torch_dtype": "float16", "eos_token_id": EOS,
                   "bos_token_id": 1, "rms_norm_eps": 1e-5, "tie_word_embeddings": False}, f)
    return path


def vllm_config(model_dir, socket, tenant="vllm-test", extra=None, tp=1):
    model = ModelConfig(model=model_dir, tokenizer=model_dir, skip_tokenizer_init=True, dtype="float16", seed=0,
                        max_model_len=4096)
    sched = SchedulerConfig(max_num_seqs=8, max_num_batched_tokens=1024, max_model_len=4096,
                            enable_chunked_prefill=True, is_encoder_decoder=False,
                            disable_hybrid_kv_cache_manager=True)
    cache = CacheConfig(block_size=BLOCK, gpu_memory_utilization=0.9, cache_dtype="auto", enable_prefix_caching=True)
    kv = KVTransferConfig(kv_connector=CONNECTOR, kv_connector_module_path=MODULE, kv_role="kv_both",
                          kv_load_failure_policy="recompute",
                          kv_connector_extra_config={"kvbm4j.socket": socket, "kvbm4j.tenant": tenant,
                                                     **(extra or {})})
    return VllmConfig(model_config=model, scheduler_config=sched, cache_config=cache, kv_transfer_config=kv,
                      device_config=DeviceConfig("cpu"), parallel_config=ParallelConfig(tensor_parallel_size=tp))


def kv_cache_config(num_blocks):
    return KVCacheConfig(num_blocks=num_blocks, kv_cache_tensors=[], kv_cache_groups=[
        KVCacheGroupSpec(list(LAYER_NAMES), FullAttentionSpec(block_size=BLOCK, num_kv_heads=KV_HEADS,
                                                              head_size=HEAD_DIM, dtype=DTYPE))])


def scheduler(config, num_blocks=64):
    config.cache_config.num_gpu_blocks = num_blocks
    return Scheduler(vllm_config=config, kv_cache_config=kv_cache_config(num_blocks), log_stats=True,
                     structured_output_manager=StructuredOutputManager(config), block_size=BLOCK)


def worker_connector(config, num_blocks=64, seed=None):
    """The worker-side connector from vLLM's factory and the per-layer CPU KV tensors it registered: vLLM's logical
    per-layer view [num_blocks, kv_heads, block_size, 2 * head_dim] (K and V in the content dimension)."""
    conn = KVConnectorFactory.create_connector(config, KVConnectorRole.WORKER, kv_cache_config(num_blocks))
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    caches = {}
    for name in LAYER_NAMES:
        t = torch.zeros(num_blocks, KV_HEADS, BLOCK, 2 * HEAD_DIM, dtype=DTYPE)
        if g is not None:
            t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float32).to(DTYPE))
        caches[name] = t
    conn.register_kv_caches(caches)
    return conn, caches


def block_bytes():
    return LAYERS * KV_HEADS * BLOCK * 2 * HEAD_DIM * torch.tensor([], dtype=DTYPE).element_size()


def request(req_id, tokens, max_tokens=4):
    params = SamplingParams(max_tokens=max_tokens)
    params.update_from_generation_config({}, EOS)
    return Request(request_id=req_id, prompt_token_ids=list(tokens), sampling_params=params, pooling_params=None,
                   mm_features=None, block_hasher=get_request_block_hasher(BLOCK, sha256))


def runner_output(reqs, token=7, invalid_block_ids=None, worker_meta=None):
    ids = [r.request_id for r in reqs]
    kv_out = None
    if invalid_block_ids is not None or worker_meta is not None:
        kv_out = KVConnectorOutput(finished_sending=None, finished_recving=None,
                                   invalid_block_ids=invalid_block_ids or set(), kv_connector_worker_meta=worker_meta)
    return ModelRunnerOutput(req_ids=ids, req_id_to_index={r: i for i, r in enumerate(ids)},
                             sampled_token_ids=[[token] for _ in ids], logprobs=None, prompt_logprobs_dict={},
                             pooler_output=None, kv_connector_output=kv_out)


def run_step(sched, worker, caches):
    """One engine step the way vLLM's model runner drives the worker connector: bind the scheduler's metadata,
    start_load_kv, for each layer wait_for_layer_load + save_kv_layer, wait_for_save, collect the outputs, clear."""
    out = sched.schedule()
    worker.bind_connector_metadata(out.kv_connector_metadata)
    worker.start_load_kv(None)
    for name in LAYER_NAMES:
        worker.wait_for_layer_load(name)
        worker.save_kv_layer(name, caches[name], None)
    worker.wait_for_save()
    errors = worker.get_block_ids_with_load_errors()
    meta = worker.build_connector_worker_meta()
    worker.clear_connector_metadata()
    return out, errors, meta
