"""Runtime connectors over the kvbm4j node service (docs/CONNECTORS.md).

- ``kvbm4j_connectors.vllm_connector.Kvbm4jConnector``: vLLM's v1 KV connector (``KVConnectorBase_V1``), loaded with
  ``--kv-transfer-config '{"kv_connector": "Kvbm4jConnector",
  "kv_connector_module_path": "kvbm4j_connectors.vllm_connector", "kv_role": "kv_both", ...}'``.
- ``kvbm4j_connectors.sglang_storage.Kvbm4jHiCacheStorage``: SGLang's HiCache L3 storage backend.

Each module imports its runtime (vLLM, SGLang) and is imported only where that runtime is installed; the block
identity helpers below need the standard library only.
"""

_MASK128 = (1 << 128) - 1


def id_of_hash(block_hash) -> int:
    """A runtime's block hash as a 128-bit service id: the first 16 bytes (big-endian) of a bytes hash (vLLM's
    SHA-256 or xxHash-128 block hashes), an int as it is (masked to 128 bits). The service salts it with the
    session's tenant (and LoRA) before it becomes an engine id (docs/PROTOCOL.md, "Isolation between tenants")."""
    if isinstance(block_hash, int):
        return block_hash & _MASK128
    raw = bytes(block_hash)
    if not raw:
        raise ValueError("an empty block hash has no id")
    return int.from_bytes(raw[:16], "big")
