"""The cluster tests use the `cluster` (session) and `namespace` (per test) fixtures of
`fixtures.clusters.pytest_plugin`, which the root conftest loads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

__all__ = ["http"]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that ignores proxy settings (targets are loopback only)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
