"""Bearer-token auth (docs/apiserver.md §1 T5, §2 A1; docs/interfaces.md `EmbeddedAPIServer(token=...)`).

Why: kube-rs and the Python client send `Authorization: Bearer <token>` from the kubeconfig's
`users[].user.token`; with auth on, the server must refuse anything else with a 401 Status, and the
kubeconfig it writes must carry the token so real clients get in.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest, assert_status, core_v1_from

PODS = "/api/v1/namespaces/default/pods"
ServerFactory = Callable[..., EmbeddedAPIServer]


def test_auth_off_by_default(apiserver: EmbeddedAPIServer) -> None:
    """T5: without a configured token, requests with no or any token are served."""
    assert Rest(apiserver.url).get(PODS).status_code == 200
    assert Rest(apiserver.url, token="anything").get(PODS).status_code == 200


@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
@pytest.mark.parametrize("path", [PODS, "/api", "/version", PODS + "?watch=true&timeoutSeconds=1"])
def test_auth_on_refuses_without_the_token(make_server: ServerFactory, token: str | None, path: str) -> None:
    """T5 / X1: with a token configured, a missing or wrong bearer token → 401 Unauthorized Status."""
    srv = make_server(token="s3cret")
    assert_status(Rest(srv.url, token=token).get(path), 401, "Unauthorized")


def test_auth_on_accepts_the_token(make_server: ServerFactory) -> None:
    """T5: the right token is served; a Basic header or a token with a suffix is not."""
    srv = make_server(token="s3cret")
    rest = Rest(srv.url, token="s3cret")
    assert rest.get(PODS).status_code == 200
    assert rest.call("POST", PODS, json={"metadata": {"name": "a"}, "spec": {}}).status_code == 422
    basic = Rest(srv.url).get(PODS, headers={"Authorization": "Basic czNjcmV0"})
    assert_status(basic, 401, "Unauthorized")
    assert_status(Rest(srv.url, token="s3cretX").get(PODS), 401, "Unauthorized")


def test_kubeconfig_carries_the_token(make_server: ServerFactory) -> None:
    """A1: the written kubeconfig names http://127.0.0.1:PORT, namespace default and the token, and the
    official client built from it is let in."""
    srv = make_server(token="s3cret")
    doc = yaml.safe_load(srv.kubeconfig.read_text())
    ctx_name = doc["current-context"]
    ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])
    assert cluster["server"] == f"http://127.0.0.1:{srv.port}" == srv.url
    assert ctx.get("namespace") == "default"
    assert user["token"] == "s3cret"
    api = core_v1_from(srv.kubeconfig)
    try:
        assert api.list_namespaced_pod("default").items == []
    finally:
        api.api_client.close()


def test_python_client_with_wrong_token_gets_401(make_server: ServerFactory, tmp_path) -> None:
    """T5: the official client with a kubeconfig holding another token raises ApiException(401)."""
    srv = make_server(token="s3cret")
    wrong = tmp_path / "wrong-kubeconfig"
    wrong.write_text(srv.kubeconfig.read_text().replace("s3cret", "nope"))
    api = core_v1_from(wrong)
    try:
        with pytest.raises(ApiException) as info:
            api.list_namespaced_pod("default")
        assert info.value.status == 401
    finally:
        api.api_client.close()
