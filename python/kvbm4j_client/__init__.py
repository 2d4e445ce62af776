"""Python client of the kvbm4j node service (``kvbm4j serve``): standard library only.

Protocol: docs/PROTOCOL.md. Block bytes move through the service's shared-memory file, mapped here with
``mmap`` (no copy through the socket), or, for a copy-mode session, through the socket in pieces.
Checksums: CRC-32 (``zlib.crc32``, C speed) is negotiated in HELLO; the Java client uses XXH3-64.
"""

from .client import (KvClient, KvServiceError, Lookup, Blocks, PROTOCOL_VERSION, MODE_MAP, MODE_COPY,
                     CHECKSUM_XXH3_64, CHECKSUM_CRC32, STORED, DEDUPLICATED, CHECKSUM_MISMATCH, NOT_STORED)

__all__ = ["KvClient", "KvServiceError", "Lookup", "Blocks", "PROTOCOL_VERSION", "MODE_MAP", "MODE_COPY",
           "CHECKSUM_XXH3_64", "CHECKSUM_CRC32", "STORED", "DEDUPLICATED", "CHECKSUM_MISMATCH", "NOT_STORED"]
