"""Provider selection and preflight: clear one-line errors, never a traceback for the user."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import NoReturn

import pytest

from fixtures.clusters import ClusterProvider, ProviderError, get_provider
from fixtures.clusters.embedded import EmbeddedProvider


@pytest.mark.parametrize("name", ["kind", "existing"])
def test_real_cluster_providers_are_returned_unstarted(name: str) -> None:
    provider = get_provider(name)
    assert provider.name == name
    with pytest.raises(ProviderError, match="not started"):
        _ = provider.kubeconfig


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(ProviderError, match=r"unknown cluster provider 'minikube'; choose one of embedded"):
        get_provider("minikube")


def test_unknown_option_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="embedded cluster provider"):
        get_provider("embedded", colour="blue")


def test_embedded_is_returned_unstarted() -> None:
    provider = get_provider("embedded")
    assert isinstance(provider, EmbeddedProvider)
    with pytest.raises(ProviderError, match="not started"):
        _ = provider.kubeconfig


class _KubeconfigOnly(ClusterProvider):
    """A provider for a cluster that is not there: only a kubeconfig pointing at a closed port."""

    name = "test-only"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self.torn_down = False

    @property
    def kubeconfig(self) -> Path:
        return self._path

    @property
    def runtime(self) -> NoReturn:
        raise NotImplementedError

    def _bring_up(self) -> None:
        pass

    def _tear_down(self) -> None:
        self.torn_down = True


def test_preflight_failure_is_one_line_naming_the_server_and_start_cleans_up(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    provider = _KubeconfigOnly(kubeconfig)
    with pytest.raises(ProviderError) as info:
        provider.start()
    message = str(info.value)
    assert message.startswith(f"test-only cluster at http://127.0.0.1:{port}: cannot list pods")
    assert "\n" not in message
    assert provider.torn_down
