"""Fixtures of the SGLang backend tests (make test-sglang): a real `kvbm4j serve` per test, SGLang's real host KV
pools built on CPU (MHATokenToKVPool + MHATokenToKVPoolHost, no GPU), the backend created by SGLang's
StorageBackendFactory as a "dynamic" backend."""

import os
import sys

import pytest
import torch

HERE = os.path.dirname(__file__)
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, "..")]

from service import Service, write_config  # noqa: E402

PAGE, HEADS, HEAD_DIM, LAYERS = 16, 2, 16, 2


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("svc")
    config = write_config(str(tmp_path / "kvbm4j.yaml"), layers=LAYERS, kv_heads=HEADS, head_dim=HEAD_DIM,
                          dtype="fp16", block_tokens=PAGE)
    svc = Service(str(tmp_path), config).start()
    yield svc
    svc.stop()


def host_pool(layout="page_first", seed=None):
    from sglang.srt.mem_cache.memory_pool import MHATokenToKVPool
    from sglang.srt.mem_cache.pool_host.mha import MHATokenToKVPoolHost
    device = MHATokenToKVPool(1024, PAGE, torch.float16, HEADS, HEAD_DIM, LAYERS, "cpu", False,
                              start_layer=0, end_layer=LAYERS)
    host = MHATokenToKVPoolHost(device.get_device_pool_infos()[0].buffer_info, 2, 0, PAGE, layout, pin_memory=False,
                                device_capacity_tokens=device.size if device.host_capacity_tokens is None
                                else device.host_capacity_tokens,
                                start_layer=device.start_layer, end_layer=device.end_layer,
                                write_back_staging=device.hicache_write_back_staging)
    if seed is not None:
        g = torch.Generator().manual_seed(seed)
        host.kv_buffer.copy_(torch.randn(host.kv_buffer.shape, generator=g).to(host.kv_buffer.dtype))
    else:
        host.kv_buffer.zero_()
    return host


def backend(socket, host, tp_rank=0, tp_size=1, **extra):
    from sglang.srt.mem_cache.hicache_storage import HiCacheStorageConfig
    from sglang.srt.mem_cache.storage import StorageBackendFactory
    config = HiCacheStorageConfig(tp_rank=tp_rank, tp_size=tp_size, pp_rank=0, pp_size=1, attn_cp_rank=0,
                                  attn_cp_size=1, is_mla_model=False, enable_storage_metrics=False,
                                  is_page_first_layout=True, model_name="tiny",
                                  extra_config={"backend_name": "kvbm4j",
                                                "module_path": "kvbm4j_connectors.sglang_storage",
                                                "class_name": "Kvbm4jHiCacheStorage", "interface_v1": 1,
                                                "kvbm4j.socket": socket, **extra})
    storage = StorageBackendFactory.create_backend("dynamic", config, host)
    storage.register_mem_pool_host(host)      # as SGLang's cache controller does after creating it
    return storage
