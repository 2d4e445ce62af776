"""Test data shared by the test processes: ids and block bytes are functions of a seed and a position, so any
process can check that what it loaded is what was stored under that id."""

import random


def ids(seed: int, n: int):
    r = random.Random(seed)
    return [r.getrandbits(128) for _ in range(n)]


def block(id_: int, size: int) -> bytes:
    return random.Random(id_).getrandbits(8 * size).to_bytes(size, "little")
