"""Client processes the tests start (python child.py MODE SOCKET ARGS...). Exit 0 when every check held."""

import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from kvbm4j_client import KvClient, KvServiceError, STORED, DEDUPLICATED  # noqa: E402
from blocks import block, ids  # noqa: E402


def prefill(sock, seed, n):
    with KvClient(sock, tenant="disagg") as kv:
        seq = ids(int(seed), int(n))
        out = kv.store_blocks(seq, [block(i, kv.block_bytes) for i in seq])
        assert all(o in (STORED, DEDUPLICATED) for o in out), out
        print(" ".join("%032x" % i for i in seq), flush=True)


def decode(sock, *hex_ids):
    seq = [int(h, 16) for h in hex_ids]
    with KvClient(sock, tenant="disagg") as kv:
        got = kv.load_blocks(seq)
        assert len(got) == len(seq), f"loaded {len(got)} of {len(seq)}"
        assert got == [block(i, kv.block_bytes) for i in seq], "bytes differ"
        print("decoded", len(got), flush=True)


def hold_store(sock, seed):
    """Prepares 8 blocks, writes half of them, then waits to be killed (mid-STORE)."""
    kv = KvClient(sock, tenant="victim")
    seq = ids(int(seed), 8)
    prepared = kv.prepare(seq)
    for i in range(4):
        kv.block(prepared.offsets[i])[:] = block(seq[i], kv.block_bytes)
    print("READY", flush=True)
    time.sleep(600)


def hold_load(sock, seed):
    """Stores 4 blocks, looks them up, loads them, starts reading, then waits to be killed (mid-LOAD)."""
    kv = KvClient(sock, tenant="victim")
    seq = ids(int(seed), 4)
    kv.store_blocks(seq, [block(i, kv.block_bytes) for i in seq])
    hit = kv.lookup(seq)
    loaded = kv.load(hit.lease)
    bytes(kv.block(loaded.offsets[0]))
    print("READY", flush=True)
    time.sleep(600)


def worker(sock, seed, rounds):
    """Stores and loads sequences, checking every loaded byte is what was stored under that id."""
    rnd = random.Random(int(seed))
    served = 0
    with KvClient(sock, tenant="workers") as kv:
        for r in range(int(rounds)):
            seq = ids(int(seed) * 100_000 + rnd.randrange(40), rnd.randrange(1, 5))
            try:
                kv.store_blocks(seq, [block(i, kv.block_bytes) for i in seq])
            except KvServiceError as e:
                if e.name not in ("BUSY", "NO_SPACE"):
                    raise
            hit = kv.lookup(seq)
            if hit.lease:
                loaded = kv.load(hit.lease, 1000)
                for i, off in enumerate(loaded.offsets):
                    assert bytes(kv.block(off)) == block(seq[i], kv.block_bytes), f"wrong bytes served, round {r}"
                    served += 1
                kv.release(hit.lease)
    print("served", served, flush=True)


KNOWN_ERRORS = set(range(1, 15))


def attacker(sock, seed, stop_file):
    """Sends malformed and hostile frames until stop_file exists. Every reply must be an error naming what was
    wrong (or, for a frame that happens to be valid, its proper reply); the service may close the connection."""
    rnd = random.Random(int(seed))
    print("attacker seed", seed, flush=True)
    frames = closes = 0
    kv = None
    while not os.path.exists(stop_file) and frames < 5000:
        if kv is None:
            kv = KvClient(sock, tenant="mallory")
            own = kv.lookup(ids(7, 1))  # usually no lease; handles of its own to misuse below
            kv.store_blocks(ids(7, 1), [b"\0" * kv.block_bytes])
            own = kv.lookup(ids(7, 1))
            own_lease = own.lease
        kind = rnd.randrange(9)
        op = rnd.randrange(1, 10)
        if kind == 0:
            payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 64)))
            frame = struct.pack("<IBBHI", 8 + len(payload), rnd.randrange(10, 256), 0, 0, 1) + payload
        elif kind == 1:  # a known op with random bytes
            payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 96)))
            frame = struct.pack("<IBBHI", 8 + len(payload), op, 0, 0, 2) + payload
        elif kind == 2:  # a length past the limit, or shorter than a header
            frame = struct.pack("<IBBHI", rnd.choice([(1 << 20) + 1, 0xFFFFFFFF, 1 << 31, 3, 0]), op, 0, 0, 3)
        elif kind == 3:  # a guessed lease: another session's, a stale one, or made up
            handle = (rnd.randrange(1, 4) << 24) | rnd.randrange(0, 64)
            frame = struct.pack("<IBBHIQI", 20, 3, 0, 0, 4, handle, 0)
        elif kind == 4:  # RELEASE or COMMIT of a guessed handle
            handle = (rnd.randrange(1, 4) << 24) | rnd.randrange(0, 64)
            if rnd.random() < 0.5:
                frame = struct.pack("<IBBHIQ", 16, 6, 0, 0, 5, handle)
            else:
                frame = struct.pack("<IBBHIQIQ", 28, 5, 0, 0, 5, handle, 1, 0)
        elif kind == 5:  # READ past the block, or of a block index it does not hold
            frame = struct.pack("<IBBHIQIQI", 32, 8, 0, 0, 6, own_lease, rnd.choice([1, 5, 1 << 30, -1 & 0xFFFFFFFF]),
                                rnd.randrange(0, 1 << 40), rnd.randrange(0, 1 << 31))
        elif kind == 6:  # a second HELLO with another version
            frame = struct.pack("<IBBHIH", 10, 1, 0, 0, 7, rnd.choice([0, 2, 9, 65535]))
        elif kind == 7:  # a LOOKUP whose count does not match its bytes, or past the limits
            n = rnd.choice([1, 5, 4097, 1 << 30])
            frame = struct.pack("<IBBHIBBHI", 16 + 16, 2, 0, 0, 8, rnd.randrange(3), 0, 0, n) + b"\1" * 16
        else:  # a STORE_PREPARE with a bad count or position
            frame = struct.pack("<IBBHIii", 16, 4, 0, 0, 9, rnd.choice([-1, 0, 5]), rnd.choice([0, -3, 5000]))
        frames += 1
        try:
            kv.send_raw(frame)
            rop, _tag, body = kv.recv_frame()
        except (ConnectionError, OSError):
            closes += 1
            kv.close()
            kv = None
            continue
        if rop == 0xFF:
            code, n = struct.unpack_from("<HH", body, 0)
            text = bytes(body[4:4 + n]).decode()
            assert code in KNOWN_ERRORS and text, (code, text, frame[:24])
        else:
            assert rop & 0x80 and (rop & 0x7F) == frame[4], (rop, frame[:24])
        if kind == 2:
            # the service answered and closes: the next read sees the end
            kv.close()
            kv = None
            closes += 1
    print("attacker sent", frames, "frames,", closes, "connections closed", flush=True)


if __name__ == "__main__":
    mode, sock, *args = sys.argv[1:]
    {"prefill": prefill, "decode": decode, "hold-store": hold_store, "hold-load": hold_load, "worker": worker,
     "attacker": attacker}[mode](sock, *args)
