"""The kvbm4j service client: one Unix socket connection, one session (see docs/PROTOCOL.md)."""

import mmap
import os
import socket
import struct
import zlib
from typing import Dict, List, NamedTuple, Optional, Sequence

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<IBBHI")  # length, op, flags, reserved, tag
MAX_FRAME = 1 << 20
MAX_COPY_PIECE = 512 * 1024

OP_HELLO, OP_LOOKUP, OP_LOAD, OP_STORE_PREPARE, OP_STORE_COMMIT, OP_RELEASE, OP_STATS, OP_READ, OP_WRITE = range(1, 10)
REPLY = 0x80
OP_ERROR = 0xFF
LOOKUP_IDS, LOOKUP_TOKENS = 0, 1
CHECKSUM_XXH3_64, CHECKSUM_CRC32 = 1, 2
MODE_COPY, MODE_MAP = 0, 1
STORED, DEDUPLICATED, CHECKSUM_MISMATCH, NOT_STORED = 0, 1, 2, 3

ERRORS = {1: "MALFORMED", 2: "TOO_LARGE", 3: "UNKNOWN_OP", 4: "VERSION", 5: "NO_SESSION", 6: "UNKNOWN_HANDLE",
          7: "OUT_OF_RANGE", 8: "BUSY", 9: "NO_SPACE", 10: "LAYOUT", 11: "NOT_PERMITTED", 12: "SHUTTING_DOWN",
          13: "INTERNAL", 14: "LIMIT"}
_MASK64 = (1 << 64) - 1


class KvServiceError(Exception):
    """An error reply: ``code`` (see ERRORS) and the service's message naming what was wrong."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{ERRORS.get(code, code)}: {message}")
        self.code = code
        self.name = ERRORS.get(code, str(code))
        self.message = message


class Lookup(NamedTuple):
    lease: int          # 0 when nothing is cached
    prefix: int         # leading blocks cached across tiers
    in_memory: int      # of those, already in shared memory
    scheduled: int      # of those, being onboarded from G2/G3
    ttl_ms: int
    ids: List[int]      # a lookup by tokens: the id of every full block (128-bit ints)


class Blocks(NamedTuple):
    handle: int         # the lease (LOAD) or the store (STORE_PREPARE)
    slots: List[int]
    offsets: List[int]  # file offsets in the shared memory
    lengths: List[int]


def _pack_string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<H", len(b)) + b


def _pack_ids(ids: Sequence[int]) -> bytes:
    return b"".join(struct.pack("<QQ", (i >> 64) & _MASK64, i & _MASK64) for i in ids)


class KvClient:
    """A session with the service. Not thread-safe: one request at a time per client."""

    def __init__(self, socket_path: str, tenant: str = "default", model: str = "", lora: str = "",
                 lora_version: int = 0, mode: int = MODE_MAP, checksum: int = CHECKSUM_CRC32,
                 block_tokens: int = 0, block_bytes: int = 0, version: int = PROTOCOL_VERSION):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(socket_path)
        self._tag = 0
        self._map: Optional[mmap.mmap] = None
        payload = struct.pack("<HBBIQ", version, checksum, mode, block_tokens, block_bytes)
        payload += _pack_string(model) + _pack_string(tenant) + _pack_string(lora) + struct.pack("<Q", lora_version)
        try:
            r = self._call(OP_HELLO, payload)
        except BaseException:
            self._sock.close()
            raise
        (self.version, self.checksum_kind, mapped, self.session_id, self.block_tokens, self.block_bytes,
         self.slot_count, self.stride, self.file_bytes, self.lease_ttl_ms, self.max_blocks) = \
            struct.unpack_from("<HBBQIQIQQII", r, 0)
        self.mapped = bool(mapped)
        n = struct.unpack_from("<H", r, 52)[0]
        self.shm_path = bytes(r[54:54 + n]).decode("utf-8")
        if self.mapped:
            fd = os.open(self.shm_path, os.O_RDWR)
            try:
                self._map = mmap.mmap(fd, self.file_bytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            finally:
                os.close(fd)

    # -- frames ---------------------------------------------------------------------------------------------

    def _send(self, op: int, payload: bytes) -> None:
        self._tag = (self._tag + 1) & 0xFFFFFFFF
        self._sock.sendall(HEADER.pack(8 + len(payload), op, 0, 0, self._tag) + payload)

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = self._sock.recv_into(view[got:], n - got)
            if k == 0:
                raise ConnectionError("the service closed the connection")
            got += k
        return bytes(buf)

    def recv_frame(self):
        """Reads one reply frame: (op, tag, payload)."""
        length = struct.unpack("<I", self._recv_exact(4))[0]
        if length < 8 or length > MAX_FRAME:
            raise ConnectionError(f"reply frame length {length}")
        body = self._recv_exact(length)
        op, _flags, _rsv, tag = struct.unpack_from("<BBHI", body, 0)
        return op, tag, memoryview(body)[8:]

    def _call(self, op: int, payload: bytes = b"") -> memoryview:
        self._send(op, payload)
        rop, tag, body = self.recv_frame()
        if rop == OP_ERROR:
            code, n = struct.unpack_from("<HH", body, 0)
            raise KvServiceError(code, bytes(body[4:4 + n]).decode("utf-8", "replace"))
        if rop != (op | REPLY) or tag != self._tag:
            raise ConnectionError(f"reply op {rop} tag {tag} to op {op} tag {self._tag}")
        return body

    def send_raw(self, data: bytes) -> None:
        """Sends bytes as they are (tests of bad input)."""
        self._sock.sendall(data)

    # -- operations -----------------------------------------------------------------------------------------

    @staticmethod
    def _lookup_reply(r: memoryview) -> Lookup:
        lease, prefix, in_memory, scheduled, ttl, n = struct.unpack_from("<QIIIII", r, 0)
        ids = []
        for i in range(n):
            hi, lo = struct.unpack_from("<QQ", r, 28 + 16 * i)
            ids.append((hi << 64) | lo)
        return Lookup(lease, prefix, in_memory, scheduled, ttl, ids)

    def lookup(self, ids: Sequence[int]) -> Lookup:
        """LOOKUP by block ids (128-bit ints, position 0 first): the cached prefix across tiers and a lease."""
        return self._lookup_reply(self._call(OP_LOOKUP, struct.pack("<BBHI", LOOKUP_IDS, 0, 0, len(ids)) +
                                             _pack_ids(ids)))

    def lookup_tokens(self, tokens: Sequence[int]) -> Lookup:
        """LOOKUP by token ids, hashed by the service with this session's salt; answers every full block's id."""
        return self._lookup_reply(self._call(OP_LOOKUP, struct.pack("<BBHI", LOOKUP_TOKENS, 0, 0, len(tokens)) +
                                             struct.pack(f"<{len(tokens)}i", *tokens)))

    @staticmethod
    def _blocks(handle: int, r: memoryview, at: int) -> Blocks:
        n = struct.unpack_from("<I", r, at)[0]
        slots, offsets, lengths = [], [], []
        for i in range(n):
            slot, _pad, off, length = struct.unpack_from("<IIQQ", r, at + 4 + 24 * i)
            slots.append(slot)
            offsets.append(off)
            lengths.append(length)
        return Blocks(handle, slots, offsets, lengths)

    def load(self, lease: int, deadline_ms: int = 1000) -> Blocks:
        """LOAD: the lease's blocks in shared memory (on the deadline, the leading part that arrived)."""
        return self._blocks(lease, self._call(OP_LOAD, struct.pack("<QI", lease, deadline_ms)), 0)

    def prepare(self, ids: Sequence[int], first: int = 0, parent: Optional[int] = None) -> Blocks:
        """STORE_PREPARE: slots for blocks ``first..`` of a sequence (``parent``: the id of block first-1)."""
        payload = struct.pack("<II", first, len(ids))
        if first > 0:
            payload += _pack_ids([parent or 0])
        r = self._call(OP_STORE_PREPARE, payload + _pack_ids(ids))
        return self._blocks(struct.unpack_from("<Q", r, 0)[0], r, 8)

    def commit(self, store: int, checksums: Sequence[int]) -> List[int]:
        """STORE_COMMIT with the checksum of each written block; per block STORED, DEDUPLICATED, ..."""
        r = self._call(OP_STORE_COMMIT, struct.pack(f"<QI{len(checksums)}Q", store, len(checksums), *checksums))
        n = struct.unpack_from("<I", r, 0)[0]
        return list(r[4:4 + n])

    def release(self, handle: int) -> None:
        """RELEASE a lease or a prepared store."""
        self._call(OP_RELEASE, struct.pack("<Q", handle))

    def stats(self) -> Dict[str, int]:
        r = self._call(OP_STATS)
        n = struct.unpack_from("<I", r, 0)[0]
        at, out = 4, {}
        for _ in range(n):
            k = struct.unpack_from("<H", r, at)[0]
            name = bytes(r[at + 2:at + 2 + k]).decode("utf-8")
            out[name] = struct.unpack_from("<Q", r, at + 2 + k)[0]
            at += 10 + k
        return out

    # -- bytes ----------------------------------------------------------------------------------------------

    def block(self, offset: int) -> memoryview:
        """A writable view of one block in the mapped shared memory (no copy)."""
        if self._map is None:
            raise RuntimeError("copy-mode session: the shared memory is not mapped")
        return memoryview(self._map)[offset:offset + self.block_bytes]

    def checksum(self, data) -> int:
        if self.checksum_kind != CHECKSUM_CRC32:
            raise RuntimeError("only CRC-32 is computed in Python; say checksum=CHECKSUM_CRC32 in HELLO")
        return zlib.crc32(data) & 0xFFFFFFFF

    def read(self, lease: int, index: int) -> bytes:
        """Copy mode: block ``index`` of a loaded lease, through the socket."""
        out = bytearray()
        while len(out) < self.block_bytes:
            piece = min(MAX_COPY_PIECE, self.block_bytes - len(out))
            r = self._call(OP_READ, struct.pack("<QIQI", lease, index, len(out), piece))
            n = struct.unpack_from("<I", r, 0)[0]
            out += r[4:4 + n]
        return bytes(out)

    def write(self, store: int, index: int, data) -> None:
        """Copy mode: the bytes of block ``index`` of a prepared store, through the socket."""
        data = memoryview(data)
        at = 0
        while at < len(data):
            piece = data[at:at + MAX_COPY_PIECE]
            self._call(OP_WRITE, struct.pack("<QIQI", store, index, at, len(piece)) + bytes(piece))
            at += len(piece)

    def store_blocks(self, ids: Sequence[int], blocks: Sequence[bytes], first: int = 0,
                     parent: Optional[int] = None) -> List[int]:
        """PREPARE, write every block (into shared memory, or through the socket), COMMIT. Per-block outcomes."""
        prepared = self.prepare(ids, first, parent)
        sums = []
        for i, data in enumerate(blocks):
            if self.mapped:
                self.block(prepared.offsets[i])[:] = data
            else:
                self.write(prepared.handle, i, data)
            sums.append(self.checksum(data))
        return self.commit(prepared.handle, sums)

    def load_blocks(self, ids: Sequence[int], deadline_ms: int = 1000) -> List[bytes]:
        """LOOKUP, LOAD, copy the bytes out, RELEASE: the cached leading blocks of ``ids``."""
        hit = self.lookup(ids)
        if hit.lease == 0:
            return []
        try:
            loaded = self.load(hit.lease, deadline_ms)
            if self.mapped:
                return [bytes(self.block(off)) for off in loaded.offsets]
            return [self.read(hit.lease, i) for i in range(len(loaded.slots))]
        finally:
            self.release(hit.lease)

    def close(self) -> None:
        try:
            self._sock.close()
        finally:
            if self._map is not None:
                try:
                    self._map.close()
                except BufferError:
                    pass  # a view still refers to it; the mapping goes with the process
                self._map = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
