"""Label and field selector grammar and matching (docs/apiserver.md S1, S2), without HTTP."""

from __future__ import annotations

import pytest

from fixtures.apiserver.errors import ApiError
from fixtures.apiserver.resources import NAMESPACES, PODS
from fixtures.apiserver.selectors import parse_field_selector, parse_label_selector

CASES = [
    # selector, labels, expected
    ("app=x", {"app": "x"}, True),
    ("app==x", {"app": "x"}, True),
    ("app=x", {"app": "y"}, False),
    ("app=x", {}, False),
    ("app!=x", {}, True),
    ("app!=x", {"app": "x"}, False),
    ("app in (x,y)", {"app": "y"}, True),
    ("app in (x,y)", {"app": "z"}, False),
    ("app notin (x,y)", {}, True),
    ("app notin (x,y)", {"app": "x"}, False),
    ("app", {"app": ""}, True),
    ("app", {}, False),
    ("!app", {}, True),
    ("!app", {"app": "x"}, False),
    ("n>3", {"n": "4"}, True),
    ("n>3", {"n": "3"}, False),
    ("n<3", {"n": "x"}, False),
    ("app=", {"app": ""}, True),
    ("app in (a,,b)", {"app": ""}, True),
    ("app in ()", {"app": ""}, True),
    ("a in (x,y),!b,c!=z,d", {"a": "x", "d": "1"}, True),
    ("a in (x,y),!b,c!=z,d", {"a": "x", "d": "1", "b": "q"}, False),
    ("  app = x ,\tteam\n== red ", {"app": "x", "team": "red"}, True),
    ("example.com/role=prefill", {"example.com/role": "prefill"}, True),
]


@pytest.mark.parametrize(("text", "labels", "expected"), CASES)
def test_label_selector_matches_like_kube(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected


def test_term_order_does_not_matter() -> None:
    a = parse_label_selector("app=x,role=decode")
    b = parse_label_selector("role=decode,app=x")
    for labels in ({"app": "x", "role": "decode"}, {"app": "x"}, {"role": "decode"}):
        assert a.matches(labels) == b.matches(labels)


def test_empty_selector_matches_everything() -> None:
    assert parse_label_selector("").matches({"any": "thing"})
    assert parse_label_selector(None).matches(None)


@pytest.mark.parametrize(
    "text", ["app=x=y", "app in x", "app in (x", "(app)", "!app=x", "-bad=x", "app=-bad", "n>x", "a,,b", "=x"]
)
def test_parse_errors_are_400(text: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_label_selector(text)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"


def pod(**kw: object) -> dict[str, object]:
    return {
        "metadata": {"name": kw.get("name", "p"), "namespace": "default"},
        "spec": {"nodeName": kw.get("node", ""), "hostNetwork": kw.get("host_network", False)},
        "status": {"phase": kw.get("phase", "Running"), "podIPs": [{"ip": "127.0.0.9"}]},
    }


def test_field_selector_pods() -> None:
    sel = parse_field_selector("status.phase=Running,spec.nodeName!=", PODS)
    assert sel.matches(pod(node="n1"))
    assert not sel.matches(pod(node=""))
    assert not sel.matches(pod(node="n1", phase="Pending"))
    assert parse_field_selector("spec.host=n1", PODS).matches(pod(node="n1"))
    assert parse_field_selector("status.podIP=127.0.0.9", PODS).matches(pod())
    assert parse_field_selector("spec.hostNetwork=false", PODS).matches(pod())
    assert parse_field_selector("metadata.name==p", PODS).matches(pod())


def test_field_selector_unsupported_field_is_400_with_kube_text() -> None:
    with pytest.raises(ApiError) as info:
        parse_field_selector("foo=bar", PODS)
    assert (info.value.code, info.value.message) == (400, "field label not supported: foo")
    with pytest.raises(ApiError):
        parse_field_selector("spec.nodeName=x", NAMESPACES)


def test_field_selector_needs_an_operator() -> None:
    with pytest.raises(ApiError) as info:
        parse_field_selector("metadata.name", PODS)
    assert info.value.code == 400


def test_field_selector_escaped_comma() -> None:
    sel = parse_field_selector(r"metadata.name=a\,b", PODS)
    assert sel.matches(pod(name="a,b"))
    assert not sel.matches(pod(name="a"))
