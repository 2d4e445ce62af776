"""A real `kvbm4j serve` process for the connector tests: started on a socket and a shared-memory directory of
the test's own temporary directory, with a configuration written for the test's model, stopped with SIGTERM
(which lets write-backs land in G2 and G3, so a restart over the same g3.root finds the blocks again)."""

import os
import signal
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAUNCHER = os.path.join(ROOT, "bin", "kvbm4j")


def write_config(path, *, layers, kv_heads, head_dim, dtype, block_tokens, g1_blocks=64, g2_blocks=64,
                 g3_root="", g3_slots=0):
    """A configuration whose model preset `connector-test` has the KV shape of one rank of the test's model."""
    lines = [
        "model: connector-test",
        f"block-tokens: {block_tokens}",
        "tiers:",
        f"  g1-blocks: {g1_blocks}",
        f"  g2-blocks: {g2_blocks}",
        "transfers:",
        "  admission: always",
        "  offload: write-through",
        "g3:",
        f"  slot-count: {g3_slots}",
        f"  root: \"{g3_root}\"",
        "models:",
        "  connector-test:",
        f"    layers: {layers}",
        f"    kv-heads: {kv_heads}",
        f"    head-dim: {head_dim}",
        f"    dtype: {dtype}",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Service:
    """One `kvbm4j serve` child process."""

    def __init__(self, workdir, config, *, lease_ttl_ms=30000):
        self.workdir = workdir
        self.config = config
        self.socket = os.path.join(workdir, "kvbm4j.sock")
        self.shm_dir = os.path.join(workdir, "shm")
        self.lease_ttl_ms = lease_ttl_ms
        self.log_path = os.path.join(workdir, "serve.log")
        self.proc = None

    def start(self, timeout_s=120):
        os.makedirs(self.shm_dir, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log_from = self._log.tell()
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--config", self.config, "--socket", self.socket, "--shm-dir", self.shm_dir,
             "--lease-ttl-ms", str(self.lease_ttl_ms)],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kvbm4j serve exited with {self.proc.returncode}: {self.log()}")
            if "kvbm4j serve: ready" in self.log()[self._log_from:]:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kvbm4j serve not ready after {timeout_s} s: {self.log()}")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("latin-1")

    def stop(self, timeout_s=60):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self.proc = None
