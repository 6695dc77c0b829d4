"""Helpers for the fake-worker tests: loopback addresses no other test suite uses, a proxy-free client."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator

import pytest
import requests

# The embedded kubelet hands out 127.0.0.N; these tests stay in 127.0.20.0/24 and up to avoid it.
_third_octet = itertools.count(20 + (os.getpid() % 100))


@pytest.fixture
def subnet() -> str:
    """A fresh 127.0.X prefix for one test ("127.0.X."), so parallel tests never collide."""
    return f"127.0.{next(_third_octet) % 200 + 20}."


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that ignores proxy settings (targets are loopback only)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


def connection_refused(host: str, port: int) -> bool:
    """True if nothing accepts TCP connections on host:port right now."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture
def unused_port() -> int:
    """A TCP port the kernel just handed out (free at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
