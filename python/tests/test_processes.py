"""Several client processes at once: disaggregated prefill/decode, clients killed mid-STORE and mid-LOAD,
hostile frames from one process while others store and load."""

import os
import signal
import subprocess
import sys
import time

from kvbm4j_client import KvClient

CHILD = os.path.join(os.path.dirname(__file__), "child.py")


def start(*args):
    return subprocess.Popen([sys.executable, CHILD, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(proc, timeout=120):
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def wait_until_nothing_held(sock):
    """Polls STATS until no lease or store is held (the service reclaims a dead client's on disconnect)."""
    with KvClient(sock) as kv:
        for _ in range(2000):
            if kv.stats()["service.handles_in_use"] == 0:
                return kv.stats()
            time.sleep(0.01)
        raise AssertionError("handles still held: %r" % kv.stats()["service.handles_in_use"])


def test_a_prefill_process_stores_and_a_decode_process_loads_by_id(socket_path):
    out = finish(start("prefill", socket_path, 201, 6))
    hex_ids = out.split()
    assert len(hex_ids) == 6
    assert "decoded 6" in finish(start("decode", socket_path, *hex_ids))


def test_a_client_killed_mid_store_leaks_nothing(socket_path):
    before = wait_until_nothing_held(socket_path)
    proc = start("hold-store", socket_path, 202)
    assert proc.stdout.readline().strip() == "READY"
    with KvClient(socket_path) as kv:
        assert kv.stats()["service.handles_in_use"] == 1
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = wait_until_nothing_held(socket_path)
    assert after["service.reclaimed_handles"] == before["service.reclaimed_handles"] + 1
    with KvClient(socket_path, tenant="victim") as kv:
        from blocks import ids
        assert kv.lookup(ids(202, 8)).prefix == 0, "nothing of the unfinished store was registered"


def test_a_client_killed_mid_load_leaks_nothing(socket_path):
    before = wait_until_nothing_held(socket_path)
    proc = start("hold-load", socket_path, 203)
    assert proc.stdout.readline().strip() == "READY"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = wait_until_nothing_held(socket_path)
    assert after["service.reclaimed_handles"] == before["service.reclaimed_handles"] + 1
    with KvClient(socket_path, tenant="victim") as kv:
        from blocks import ids
        hit = kv.lookup(ids(203, 4))
        assert hit.prefix == 4, "the stored blocks stay cached, unpinned"
        kv.release(hit.lease)


def test_hostile_frames_from_one_process_while_others_store_and_load(socket_path, tmp_path):
    seed = int(os.environ.get("KVBM4J_TEST_SEED", time.time_ns() % 1_000_000))
    print("seed", seed)
    stop = tmp_path / "stop"
    workers = [start("worker", socket_path, seed + k, 60) for k in range(2)]
    attacker = start("attacker", socket_path, seed, stop)
    outs = [finish(w) for w in workers]
    stop.write_text("stop")
    attack = finish(attacker)
    assert all("served" in o for o in outs), (seed, outs)
    assert "attacker sent" in attack, (seed, attack)
    stats = wait_until_nothing_held(socket_path)
    assert stats["service.bad_frames"] > 0 and stats["service.errors"] > 0
