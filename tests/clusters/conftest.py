"""The cluster tests use the plugin's `cluster` (session) and `namespace` (per test) fixtures.

Imported here so these tests run whether or not the root conftest loads `fixtures.clusters.pytest_plugin`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from fixtures.clusters.pytest_plugin import cluster, namespace

__all__ = ["cluster", "http", "namespace"]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that ignores proxy settings (targets are loopback only)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
