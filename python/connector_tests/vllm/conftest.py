"""Fixtures of the vLLM connector tests (make test-vllm): each test starts its own `kvbm4j serve` process (a real
service, docs/SERVICE.md) with a configuration whose model preset has the tiny model's KV shape."""

import os
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path[:0] = [os.path.join(HERE, "..", ".."), os.path.join(HERE, ".."), HERE]

from service import Service, write_config  # noqa: E402
import tiny_model as tm  # noqa: E402


@pytest.fixture
def model_dir(tmp_path):
    return tm.write_model_dir(str(tmp_path / "model"))


@pytest.fixture
def start_service(tmp_path):
    started = []

    def start(name="svc", **tiers):
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        config = write_config(str(workdir / "kvbm4j.yaml"), layers=tm.LAYERS, kv_heads=tm.KV_HEADS,
                              head_dim=tm.HEAD_DIM, dtype="fp16", block_tokens=tm.BLOCK, **tiers)
        svc = Service(str(workdir), config).start()
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()
