"""RBAC enforcement (`EmbeddedAPIServer(authorization="rbac")`): ServiceAccount tokens, bindings, 403s.

Why (issue 12): manifests/rbac/ claims that a gateway needs get/list/watch on pods and nothing else.
With RBAC on, the emulator decides every request the way kube's RBAC authorizer does, so that claim
can be checked with the same tools one uses on a cluster: `kubectl auth can-i --as=...`, and requests
made with the ServiceAccount's own token (minted with TokenRequest, as `kubectl create token` does).
Expected answers and message texts are kube's (docs/apiserver-incluster.md "Authentication and RBAC").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kubernetes import client, config

from fixtures.apiserver import EmbeddedAPIServer, kubeconfig
from tests.apiserver._support import Kubectl, Rest, assert_status
from tests.apiserver.conftest import ServerFactory

REPO = Path(__file__).resolve().parents[2]
SA_USER = "system:serviceaccount:default:sgl-gateway"


@pytest.fixture
def rbac_server(make_server: ServerFactory) -> EmbeddedAPIServer:
    return make_server(authorization="rbac")


@pytest.fixture
def admin(rbac_server: EmbeddedAPIServer) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(rbac_server.kubeconfig))
    yield api
    api.close()


@pytest.fixture
def rbac_kubectl(kubectl_bin: str, rbac_server: EmbeddedAPIServer, tmp_path: Path) -> Kubectl:
    home = tmp_path / "home"
    home.mkdir()
    assert rbac_server.kubeconfig is not None  # make_server writes it
    return Kubectl(kubectl_bin, rbac_server.kubeconfig, home)


def token_for(
    admin: client.ApiClient, name: str = "sgl-gateway", namespace: str = "default", **spec: Any
) -> str:
    request = {"spec": {"audiences": [], **spec}}
    answer = client.CoreV1Api(admin).create_namespaced_service_account_token(name, namespace, request)
    return str(answer.status.token)


def as_token(srv: EmbeddedAPIServer, token: str) -> Rest:
    return Rest(srv.url, token=token)


def apply(kubectl: Kubectl, manifest: str) -> None:
    kubectl.run("apply", "-f", str(REPO / "manifests/rbac" / manifest))


# -- the manifests, asked with kubectl auth can-i -------------------------------------------------------
def can_i(kubectl: Kubectl, *args: str) -> str:
    proc = kubectl.run("auth", "can-i", *args, f"--as={SA_USER}", check=False)
    return proc.stdout.strip()


def test_cluster_wide_manifest_grants_reading_pods_and_nothing_else(rbac_kubectl: Kubectl) -> None:
    apply(rbac_kubectl, "gateway-rbac.yaml")
    for verb in ("get", "list", "watch"):
        assert can_i(rbac_kubectl, verb, "pods", "--all-namespaces") == "yes", verb
        assert can_i(rbac_kubectl, verb, "pods", "-n", "kube-system") == "yes", verb
    for args in (
        ("create", "pods"),
        ("delete", "pods"),
        ("patch", "pods"),
        ("get", "pods", "--subresource=log"),
        ("list", "deployments.apps"),
        ("list", "serviceaccounts"),
        ("list", "namespaces"),
        ("create", "selfsubjectaccessreviews.authorization.k8s.io"),
    ):
        expected = "yes" if args[1].startswith("selfsubjectaccessreviews") else "no"
        assert can_i(rbac_kubectl, *args) == expected, args


def test_namespaced_manifest_grants_its_namespace_only(
    rbac_kubectl: Kubectl, admin: client.ApiClient
) -> None:
    apply(rbac_kubectl, "gateway-rbac-namespaced.yaml")
    client.CoreV1Api(admin).create_namespace({"metadata": {"name": "other"}})
    assert can_i(rbac_kubectl, "list", "pods", "-n", "default") == "yes"
    assert can_i(rbac_kubectl, "watch", "pods", "-n", "default") == "yes"
    assert can_i(rbac_kubectl, "list", "pods", "-n", "other") == "no"
    assert can_i(rbac_kubectl, "list", "pods", "--all-namespaces") == "no"


# -- the ServiceAccount's own token -----------------------------------------------------------------------
def test_service_account_token_is_authorized_by_its_bindings(
    rbac_server: EmbeddedAPIServer, rbac_kubectl: Kubectl, admin: client.ApiClient
) -> None:
    apply(rbac_kubectl, "gateway-rbac.yaml")
    rest = as_token(rbac_server, token_for(admin))
    assert rest.get("/api/v1/pods").status_code == 200
    assert rest.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "1"}).status_code == 200
    denied = assert_status(rest.call("POST", "/api/v1/namespaces/default/pods", json={}), 403, "Forbidden")
    assert denied["message"] == (
        f'pods is forbidden: User "{SA_USER}" cannot create resource "pods" in API group "" '
        'in the namespace "default"'
    )
    assert denied["details"] == {"kind": "pods"}
    denied = assert_status(rest.get("/apis/apps/v1/deployments"), 403, "Forbidden")
    assert denied["message"] == (
        f'deployments.apps is forbidden: User "{SA_USER}" cannot list resource "deployments" '
        'in API group "apps" at the cluster scope'
    )
    named = assert_status(rest.get("/api/v1/namespaces/default/pods/p/log"), 403, "Forbidden")
    assert named["message"].startswith(
        f'pods "p" is forbidden: User "{SA_USER}" cannot get resource "pods/log"'
    )
    path = assert_status(rest.get("/_emulator/faults/clear"), 403, "Forbidden")
    assert path["message"] == f'forbidden: User "{SA_USER}" cannot get path "/_emulator/faults/clear"'
    assert rest.get("/api/v1").status_code == 200  # discovery, for every authenticated user
    assert rbac_server.audit is not None  # RBAC on: every decision is logged
    users = {(e.user, e.verb, e.resource, e.allowed) for e in rbac_server.audit.events(user=SA_USER)}
    assert (SA_USER, "list", "pods", True) in users and (SA_USER, "create", "pods", False) in users


def test_role_binding_grants_only_in_its_namespace(
    rbac_server: EmbeddedAPIServer, admin: client.ApiClient
) -> None:
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_service_account("team", {"metadata": {"name": "bot"}})
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"], "resourceNames": []}
    rbac.create_cluster_role({"metadata": {"name": "pod-lister"}, "rules": [rule]})
    ref = {"kind": "ClusterRole", "name": "pod-lister", "apiGroup": "rbac.authorization.k8s.io"}
    subject = {"kind": "ServiceAccount", "name": "bot"}  # namespace: the binding's
    rbac.create_namespaced_role_binding(
        "team", {"metadata": {"name": "b"}, "roleRef": ref, "subjects": [subject]}
    )
    rest = as_token(rbac_server, token_for(admin, "bot", "team"))
    assert rest.get("/api/v1/namespaces/team/pods").status_code == 200
    assert rest.get("/api/v1/namespaces/default/pods").status_code == 403
    assert rest.get("/api/v1/pods").status_code == 403


def test_resource_names_limit_a_rule(rbac_server: EmbeddedAPIServer, admin: client.ApiClient) -> None:
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)
    core.create_namespaced_service_account("default", {"metadata": {"name": "bot"}})
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": ["allowed"]}
    rbac.create_namespaced_role("default", {"metadata": {"name": "one-pod"}, "rules": [rule]})
    ref = {"kind": "Role", "name": "one-pod", "apiGroup": "rbac.authorization.k8s.io"}
    subject = {"kind": "ServiceAccount", "name": "bot", "namespace": "default"}
    rbac.create_namespaced_role_binding(
        "default", {"metadata": {"name": "b"}, "roleRef": ref, "subjects": [subject]}
    )
    rest = as_token(rbac_server, token_for(admin, "bot"))
    assert rest.get("/api/v1/namespaces/default/pods/allowed").status_code == 404  # allowed, absent
    assert rest.get("/api/v1/namespaces/default/pods/other").status_code == 403
    assert rest.get("/api/v1/namespaces/default/pods").status_code == 403


def test_binding_to_a_missing_role_says_so(rbac_server: EmbeddedAPIServer, admin: client.ApiClient) -> None:
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)
    core.create_namespaced_service_account("default", {"metadata": {"name": "bot"}})
    ref = {"kind": "ClusterRole", "name": "nowhere", "apiGroup": "rbac.authorization.k8s.io"}
    subject = {"kind": "ServiceAccount", "name": "bot", "namespace": "default"}
    rbac.create_cluster_role_binding({"metadata": {"name": "b"}, "roleRef": ref, "subjects": [subject]})
    denied = assert_status(
        as_token(rbac_server, token_for(admin, "bot")).get("/api/v1/pods"), 403, "Forbidden"
    )
    assert denied["message"].endswith(': RBAC: clusterrole.rbac.authorization.k8s.io "nowhere" not found')


# -- authentication -----------------------------------------------------------------------------------
def test_tokens_stop_working_with_their_service_account_or_pod(
    rbac_server: EmbeddedAPIServer, rbac_kubectl: Kubectl, admin: client.ApiClient
) -> None:
    apply(rbac_kubectl, "gateway-rbac.yaml")
    core = client.CoreV1Api(admin)
    core.create_namespaced_pod(
        "default", {"metadata": {"name": "holder"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    )
    uid = core.read_namespaced_pod("holder", "default").metadata.uid
    bound = token_for(admin, boundObjectRef={"kind": "Pod", "apiVersion": "v1", "name": "holder", "uid": uid})
    plain = token_for(admin)
    assert as_token(rbac_server, bound).get("/api/v1/pods").status_code == 200
    core.delete_namespaced_pod("holder", "default", grace_period_seconds=0)
    assert_status(as_token(rbac_server, bound).get("/api/v1/pods"), 401, "Unauthorized")
    assert as_token(rbac_server, plain).get("/api/v1/pods").status_code == 200
    core.delete_namespaced_service_account("sgl-gateway", "default")
    assert_status(as_token(rbac_server, plain).get("/api/v1/pods"), 401, "Unauthorized")
    core.create_namespaced_service_account("default", {"metadata": {"name": "sgl-gateway"}})
    assert_status(as_token(rbac_server, plain).get("/api/v1/pods"), 401, "Unauthorized")  # another uid


def test_unknown_tokens_are_refused_and_no_token_is_the_admin(rbac_server: EmbeddedAPIServer) -> None:
    assert_status(as_token(rbac_server, "not-a-token").get("/api/v1/pods"), 401, "Unauthorized")
    assert Rest(rbac_server.url).get("/api/v1/pods").status_code == 200  # kubectl over plain HTTP


def test_token_request_validation_and_defaults(
    admin: client.ApiClient, rbac_server: EmbeddedAPIServer
) -> None:
    core = client.CoreV1Api(admin)
    core.create_namespaced_service_account("default", {"metadata": {"name": "bot"}})
    answer = core.create_namespaced_service_account_token("bot", "default", {"spec": {"audiences": []}})
    assert answer.spec.expiration_seconds == 3600
    assert answer.spec.audiences == ["https://kubernetes.default.svc.cluster.local"]
    path = "/api/v1/namespaces/default/serviceaccounts/bot/token"
    short = assert_status(
        Rest(rbac_server.url).call("POST", path, json={"spec": {"expirationSeconds": 60}}), 422, "Invalid"
    )
    assert short["message"] == (
        'TokenRequest.authentication.k8s.io "bot" is invalid: spec.expirationSeconds: Invalid value: 60: '
        "may not specify a duration less than 10 minutes"
    )
    missing = Rest(rbac_server.url).call(
        "POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token", json={}
    )
    assert assert_status(missing, 404, "NotFound")["message"] == 'serviceaccounts "nobody" not found'
    foreign = token_for(admin, "bot", audiences=["https://vault.example"])
    assert_status(as_token(rbac_server, foreign).get("/api/v1"), 401, "Unauthorized")


def test_kubectl_create_token_and_self_review(
    rbac_server: EmbeddedAPIServer, rbac_kubectl: Kubectl, tmp_path: Path
) -> None:
    apply(rbac_kubectl, "gateway-rbac.yaml")
    token = rbac_kubectl.run("create", "token", "sgl-gateway").stdout.strip()
    config_file = kubeconfig.write(tmp_path / "sa", rbac_server.url, token=token)
    api = config.new_client_from_config(config_file=str(config_file))
    try:
        review = client.AuthorizationV1Api(api).create_self_subject_access_review(
            {"spec": {"resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "default"}}}
        )
        assert review.status.allowed is False
        assert len(client.CoreV1Api(api).list_pod_for_all_namespaces().items) == 0
    finally:
        api.close()


def test_subject_access_review_and_impersonation(
    rbac_server: EmbeddedAPIServer, rbac_kubectl: Kubectl
) -> None:
    apply(rbac_kubectl, "gateway-rbac.yaml")
    rest = Rest(rbac_server.url)
    path = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
    attrs = {"verb": "watch", "resource": "pods"}
    review = rest.call(
        "POST",
        path,
        json={"spec": {"user": SA_USER, "groups": ["system:serviceaccounts"], "resourceAttributes": attrs}},
    )
    assert review.status_code == 201 and review.json()["status"] == {"allowed": True}
    nobody = rest.call("POST", path, json={"spec": {"user": "mallory", "resourceAttributes": attrs}})
    assert nobody.json()["status"]["allowed"] is False
    headers = {"Impersonate-User": SA_USER}
    assert rest.get("/api/v1/pods", headers=headers).status_code == 200
    assert rest.get("/apis/apps/v1/deployments", headers=headers).status_code == 403


def test_rbac_off_allows_everything(make_server: ServerFactory) -> None:
    srv = make_server()
    rest = Rest(srv.url)
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    body = {"spec": {"resourceAttributes": {"verb": "delete", "resource": "nodes"}}}
    assert rest.call("POST", path, json=body).json()["status"] == {"allowed": True}
    assert rest.get("/api/v1/pods", headers={"Authorization": "Bearer whatever"}).status_code == 200
    assert srv.audit is None


@pytest.mark.parametrize(
    ("plural", "body", "code", "message"),
    [
        (
            "selfsubjectaccessreviews",
            {},
            422,
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid '
            "value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
        ),
        (
            "subjectaccessreviews",
            {"spec": None},
            422,
            'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: '
            "Required value: at least one of user or group must be specified",
        ),
        (
            "selfsubjectaccessreviews",
            {"spec": "pods"},
            400,
            "the object provided is unrecognized (must be of type SelfSubjectAccessReview)",
        ),
        (
            "selfsubjectaccessreviews",
            {"spec": {"resourceAttributes": ["list", "pods"]}},
            400,
            "the object provided is unrecognized (must be of type SelfSubjectAccessReview)",
        ),
        (
            "subjectaccessreviews",
            {"spec": {"groups": "system:masters", "resourceAttributes": {"verb": "list"}}},
            400,
            "the object provided is unrecognized (must be of type SubjectAccessReview)",
        ),
    ],
)
def test_malformed_access_reviews_are_refused(
    make_server: ServerFactory, plural: str, body: dict[str, Any], code: int, message: str
) -> None:
    """A review without a spec is kube's 422 of an empty one; a field of the wrong shape is a 400."""
    rest = Rest(make_server().url)
    resp = rest.call("POST", f"/apis/authorization.k8s.io/v1/{plural}", json=body)
    assert assert_status(resp, code, "Invalid" if code == 422 else "BadRequest")["message"] == message


def test_protobuf_access_review_body_is_understood(rbac_server: EmbeddedAPIServer) -> None:
    """What client-go's typed client sends for `kubectl auth can-i` (k8s\\0 + runtime.Unknown)."""

    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    attrs = field(1, b"default") + field(2, b"list") + field(5, b"pods")
    review = field(2, field(1, attrs))
    type_meta = field(1, b"authorization.k8s.io/v1") + field(2, b"SelfSubjectAccessReview")
    body = b"k8s\x00" + field(1, type_meta) + field(2, review)
    resp = requests.post(
        rbac_server.url + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        data=body,
        headers={"Content-Type": "application/vnd.kubernetes.protobuf", "Impersonate-User": "mallory"},
        timeout=5,
    )
    assert resp.status_code == 201, resp.text
    answer = json.loads(resp.text)
    assert answer["spec"]["resourceAttributes"] == {
        "namespace": "default",
        "verb": "list",
        "resource": "pods",
    }
    assert answer["status"]["allowed"] is False
