"""LIST: pagination, consistent snapshots and selectors (docs/apiserver.md §4 L1/L4, §6 S1/S2; §12 tests 1 and
8).

Why: kube-rs' watcher and SGLang's 30 s reconcile both page with `limit=500` + `continue` and need a
non-empty list resourceVersion; the gateway's `--selector` arrives as a labelSelector. Driven by raw
HTTP (to see `continue`/`remainingItemCount`) and by the official Python client.
"""

from __future__ import annotations

from urllib.parse import quote

from kubernetes import client as k8s_client

from fixtures.apiserver import EmbeddedAPIServer
from tests.apiserver._support import Rest, assert_status, pod_body


def names(resp_json: dict) -> list[str]:
    return [item["metadata"]["name"] for item in resp_json["items"]]


def test_pagination_is_a_consistent_snapshot(bare_rest: Rest) -> None:
    """§12.1 / L1, L4: limit=1 over 3 pods pages p1,p2,p3 with one list RV; a pod created between pages
    is not in the snapshot; `remainingItemCount` counts what is left; the last page has no continue."""
    for name in ("p2", "p3", "p1"):
        bare_rest.create_pod(name)
    first = bare_rest.get("/api/v1/namespaces/default/pods?limit=1")
    assert first.status_code == 200
    page = first.json()
    assert page["kind"] == "PodList" and page["apiVersion"] == "v1"
    list_rv = page["metadata"]["resourceVersion"]
    assert list_rv and int(list_rv) > 0
    assert names(page) == ["p1"]
    assert page["metadata"].get("continue"), page["metadata"]
    assert page["metadata"].get("remainingItemCount") == 2
    bare_rest.create_pod("p25")  # sorts between p2 and p3, created after the snapshot
    seen = names(page)
    while page["metadata"].get("continue"):
        token = page["metadata"]["continue"]
        resp = bare_rest.get(f"/api/v1/namespaces/default/pods?limit=1&continue={quote(token)}")
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert page["metadata"]["resourceVersion"] == list_rv
        assert isinstance(page["items"], list)
        seen += names(page)
    assert seen == ["p1", "p2", "p3"]
    assert not page["metadata"].get("continue")


def test_items_carry_their_own_resource_version(bare_rest: Rest) -> None:
    """L2: the list RV is the revision at the snapshot; each item keeps its last-modified revision."""
    a = bare_rest.create_pod("a")
    b = bare_rest.create_pod("b")
    body = bare_rest.get("/api/v1/namespaces/default/pods").json()
    by_name = {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in body["items"]}
    assert by_name == {"a": a["metadata"]["resourceVersion"], "b": b["metadata"]["resourceVersion"]}
    assert int(body["metadata"]["resourceVersion"]) >= int(b["metadata"]["resourceVersion"])
    assert int(a["metadata"]["resourceVersion"]) < int(b["metadata"]["resourceVersion"])


def test_empty_list_still_has_items_and_rv(bare_rest: Rest) -> None:
    """L1: `items` is present even when empty and the list RV is a non-empty string (kube-rs 0.90)."""
    body = bare_rest.get("/api/v1/namespaces/kube-public/pods?limit=500").json()
    assert body["items"] == []
    assert body["metadata"]["resourceVersion"]
    assert not body["metadata"].get("continue")


def test_expired_continue_token_is_410(bare: EmbeddedAPIServer, bare_rest: Rest) -> None:
    """§12.1 / L4: a continue token whose snapshot was compacted away answers 410 Expired."""
    for name in ("p1", "p2", "p3"):
        bare_rest.create_pod(name)
    token = bare_rest.get("/api/v1/namespaces/default/pods?limit=1").json()["metadata"]["continue"]
    bare_rest.create_pod("p4")
    bare.faults.compact()
    resp = bare_rest.get(f"/api/v1/namespaces/default/pods?limit=1&continue={quote(token)}")
    assert_status(resp, 410, "Expired")


def test_python_client_pages_with_limit_and_continue(bare_core_v1: k8s_client.CoreV1Api) -> None:
    """§12 (Python client list): `list_namespaced_pod(limit=2)` + `_continue` walks every pod once."""
    for i in range(5):
        bare_core_v1.create_namespaced_pod("default", pod_body(f"w{i}"))
    seen: list[str] = []
    token: str | None = None
    rvs: set[str] = set()
    while True:
        kw = {"limit": 2} | ({"_continue": token} if token else {})
        page = bare_core_v1.list_namespaced_pod("default", **kw)
        seen += [p.metadata.name for p in page.items]
        rvs.add(page.metadata.resource_version)
        token = page.metadata._continue
        if not token:
            break
    assert seen == [f"w{i}" for i in range(5)]
    assert len(rvs) == 1


def label_pods(rest: Rest) -> None:
    rest.create_pod("p1", labels={"a": "x", "c": "y", "d": "1"})
    rest.create_pod("p2", labels={"a": "y", "d": ""})
    rest.create_pod("p3", labels={"a": "x", "b": "1", "d": "1"})
    rest.create_pod("p4", labels={"a": "x", "c": "z", "d": "1"})
    rest.create_pod("p5", labels={"a": "w", "d": "1"})
    rest.create_pod("p6", labels={"a": "x"})


def select(rest: Rest, selector: str, ns: str = "default") -> list[str]:
    resp = rest.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": selector})
    assert resp.status_code == 200, f"{selector!r}: {resp.status_code} {resp.text}"
    return sorted(names(resp.json()))


def test_label_selector_full_grammar(bare_rest: Rest) -> None:
    """§12.8 / S1: `in`, `!key`, `!=` (matches when absent), bare key (exists, empty value counts)."""
    label_pods(bare_rest)
    assert select(bare_rest, "a in (x,y),!b,c!=z,d") == ["p1", "p2"]
    assert select(bare_rest, "d, c!=z ,!b,a in (y, x)") == ["p1", "p2"]  # order and spaces do not matter


def test_label_selector_operators(bare_rest: Rest) -> None:
    """S1: `=`, `==`, `notin` (matches when absent), `!key`, empty value and `()` as the set {""}."""
    label_pods(bare_rest)
    assert select(bare_rest, "a=x") == ["p1", "p3", "p4", "p6"]
    assert select(bare_rest, "a==x,c==y") == ["p1"]
    assert select(bare_rest, "c notin (y)") == ["p2", "p3", "p4", "p5", "p6"]
    assert select(bare_rest, "!d") == ["p6"]
    assert select(bare_rest, "d=") == ["p2"]
    assert select(bare_rest, "d in ()") == ["p2"]
    assert select(bare_rest, "") == ["p1", "p2", "p3", "p4", "p5", "p6"]


def test_label_selector_gt_lt(bare_rest: Rest) -> None:
    """S1: `key>N` / `key<N` need the key present with an integer value."""
    bare_rest.create_pod("n1", labels={"rank": "1"})
    bare_rest.create_pod("n5", labels={"rank": "5"})
    bare_rest.create_pod("nx", labels={"rank": "x"})
    assert select(bare_rest, "rank>2") == ["n5"]
    assert select(bare_rest, "rank<2") == ["n1"]


def field_pods(rest: Rest) -> None:
    rest.create_pod("q1", node="n1")
    rest.create_pod("q2", node="n1")
    rest.create_pod("q3")
    for name, phase in (("q1", "Running"), ("q2", "Pending"), ("q3", "Running")):
        resp = rest.patch(rest.pods_path(name=name, sub="status"), {"status": {"phase": phase}})
        assert resp.status_code == 200, resp.text


def fields(rest: Rest, selector: str, path: str = "/api/v1/namespaces/default/pods") -> list[str]:
    resp = rest.get(path, params={"fieldSelector": selector})
    assert resp.status_code == 200, f"{selector!r}: {resp.status_code} {resp.text}"
    return sorted(names(resp.json()))


def test_field_selector_phase_and_node(bare_rest: Rest) -> None:
    """§12.8 / S2: `status.phase=Running,spec.nodeName!=` keeps running scheduled pods only."""
    field_pods(bare_rest)
    assert fields(bare_rest, "status.phase=Running,spec.nodeName!=") == ["q1"]
    assert fields(bare_rest, "spec.nodeName=n1") == ["q1", "q2"]
    assert fields(bare_rest, "spec.host==n1") == ["q1", "q2"]  # alias of spec.nodeName
    assert fields(bare_rest, "metadata.name=q3") == ["q3"]
    assert fields(bare_rest, "metadata.namespace=default", "/api/v1/pods") == ["q1", "q2", "q3"]


def test_unknown_field_label_is_400(bare_rest: Rest) -> None:
    """§12.8 / S2: `fieldSelector=foo=bar` → 400 BadRequest `field label not supported: foo`."""
    resp = bare_rest.get("/api/v1/namespaces/default/pods", params={"fieldSelector": "foo=bar"})
    body = assert_status(resp, 400, "BadRequest")
    assert "field label not supported: foo" in body["message"]


def test_cluster_wide_list_spans_namespaces(bare_rest: Rest) -> None:
    """E6 / W7: `/api/v1/pods` lists every namespace; the namespaced path only its own."""
    bare_rest.create_pod("here")
    resp = bare_rest.call("POST", "/api/v1/namespaces", json={"metadata": {"name": "other"}})
    assert resp.status_code == 201, resp.text
    bare_rest.create_pod("there", ns="other")
    everything = bare_rest.get("/api/v1/pods").json()
    assert sorted((i["metadata"]["namespace"], i["metadata"]["name"]) for i in everything["items"]) == [
        ("default", "here"),
        ("other", "there"),
    ]
    assert names(bare_rest.get("/api/v1/namespaces/other/pods").json()) == ["there"]
