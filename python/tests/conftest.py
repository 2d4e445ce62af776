"""The service these tests talk to: started by the Java test PythonClientTest (make test), which passes its socket
in KVBM4J_SOCKET. Run by hand: start `bin/kvbm4j serve --socket S --copy-tenant guest --set model=tiny-test ...`
and `KVBM4J_SOCKET=S .venv/bin/python -m pytest python/tests`."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture(scope="session")
def socket_path():
    path = os.environ.get("KVBM4J_SOCKET")
    if not path:
        pytest.fail("KVBM4J_SOCKET is not set: these tests run against a kvbm4j service "
                    "(make test starts one through PythonClientTest)")
    return path
