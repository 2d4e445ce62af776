"""A client process of the service soak and load run (ServiceSoak drives it): stores and loads chains of blocks
whose bytes derive from their ids, checks every block it is served, and reconnects when the service is killed.

    python3 service_client.py SOCKET CLIENT INCARNATION MODE STOP_FILE
MODE hold: holds a prepared store and a loaded lease, prints HOLDING, sleeps until killed.
MODE soak: short pauses inside STORE (between prepare and commit) and LOAD (between load and release), so a kill
lands mid-STORE or mid-LOAD; after each reconnect it sweeps every chain it stored. MODE load: no pauses.
Prints "STAT k=v ..." about once a second and at exit; "WRONG ..." for a block served with other bytes.
"""

import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.environ.get("KVBM4J_PYTHON", os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python")))

from kvbm4j_client import KvClient, KvServiceError, STORED, DEDUPLICATED  # noqa: E402

CHAINS = 48
CHAIN_BLOCKS = 4


def chain_ids(client, c):
    r = random.Random(client * 1_000_003 + c)
    return [r.getrandbits(128) for _ in range(CHAIN_BLOCKS)]


def payload(id_, size):
    d = hashlib.blake2b(id_.to_bytes(16, "little"), digest_size=64).digest()
    return d * (size // 64)


class Stats:
    def __init__(self):
        self.c = {k: 0 for k in ("ops", "stored", "dedup", "served", "wrong", "misses", "reconnects", "busy",
                                  "no_space", "errors", "swept", "sweep_served")}
        self.lat = []

    def line(self):
        lat = sorted(self.lat)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0)
        return "STAT " + " ".join("%s=%d" % kv for kv in self.c.items()) + \
            " lat_n=%d lat_p50_us=%d lat_p99_us=%d lat_max_us=%d" % (len(lat), p(0.5), p(0.99), lat[-1] if lat else 0)


def connect(sock, stop, st):
    t0 = time.time()
    while not os.path.exists(stop):
        try:
            return KvClient(sock, tenant="soak")
        except (OSError, ConnectionError, KvServiceError):
            if time.time() - t0 > 300:
                raise
            time.sleep(0.05)
    return None


def check(kv, seq, loaded, st, where):
    n = kv.block_bytes
    for i, off in enumerate(loaded.offsets):
        if bytes(kv.block(off)) != payload(seq[i], n):
            st.c["wrong"] += 1
            print("WRONG block %032x position %d (%s)" % (seq[i], i, where), flush=True)
        else:
            st.c["served"] += 1
            if where == "sweep":
                st.c["sweep_served"] += 1


def hold(sock, client):
    """Holds a prepared store (half its bytes written) and a loaded lease, says HOLDING, waits to be killed."""
    kv = KvClient(sock, tenant="soak")
    seq = chain_ids(int(client), 0)
    n = kv.block_bytes
    kv.store_blocks(seq, [payload(i, n) for i in seq])
    hit = kv.lookup(seq)
    loaded = kv.load(hit.lease, 2000)
    fresh = chain_ids(int(client), 10_000)
    prepared = kv.prepare(fresh)
    kv.block(prepared.offsets[0])[:] = payload(fresh[0], n)
    print("HOLDING lease=%d store=%d blocks=%d" % (hit.lease, prepared.handle, len(loaded.offsets)), flush=True)
    time.sleep(600)


def main(sock, client, incarnation, mode, stop):
    if mode == "hold":
        return hold(sock, client)
    client, incarnation = int(client), int(incarnation)
    rnd = random.Random(client * 7919 + incarnation)
    st = Stats()
    soak = mode == "soak"
    kv = None
    sweep = False
    last = time.time()
    while not os.path.exists(stop):
        try:
            if kv is None:
                kv = connect(sock, stop, st)
                if kv is None:
                    break
                sweep = soak
            if sweep:
                for c in range(CHAINS):
                    seq = chain_ids(client, c)
                    hit = kv.lookup(seq)
                    st.c["swept"] += len(seq)
                    if hit.lease:
                        check(kv, seq, kv.load(hit.lease, 2000), st, "sweep")
                        kv.release(hit.lease)
                    st.c["misses"] += len(seq) - hit.prefix
                sweep = False
            seq = chain_ids(client, rnd.randrange(CHAINS))
            t0 = time.perf_counter()
            if rnd.random() < 0.35:
                n = kv.block_bytes
                prepared = kv.prepare(seq)
                for i, off in enumerate(prepared.offsets):
                    kv.block(off)[:] = payload(seq[i], n)
                if soak:
                    time.sleep(rnd.random() * 0.004)
                out = kv.commit(prepared.handle, [kv.checksum(payload(i, n)) for i in seq])
                st.c["stored"] += sum(1 for o in out if o == STORED)
                st.c["dedup"] += sum(1 for o in out if o == DEDUPLICATED)
            else:
                hit = kv.lookup(seq)
                if hit.lease:
                    loaded = kv.load(hit.lease, 2000)
                    if soak:
                        time.sleep(rnd.random() * 0.004)
                    check(kv, seq, loaded, st, "serve")
                    kv.release(hit.lease)
                st.c["misses"] += len(seq) - hit.prefix
            st.lat.append(int((time.perf_counter() - t0) * 1e6))
            if len(st.lat) > 200_000:
                st.lat = st.lat[::2]
            st.c["ops"] += 1
        except KvServiceError as e:
            key = {"BUSY": "busy", "NO_SPACE": "no_space"}.get(e.name, "errors")
            st.c[key] += 1
            if key == "errors":
                print("ERROR", e, flush=True)
        except (OSError, ConnectionError, ValueError):
            # the service was killed: reconnect (mmap of a file gone, a reset socket, a closed connection)
            st.c["reconnects"] += 1
            try:
                kv.close()
            except Exception:
                pass
            kv = None
        if time.time() - last >= 1.0:
            print(st.line(), flush=True)
            last = time.time()
    if kv is not None:
        kv.close()
    print(st.line(), flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
