"""`fieldValidation` Strict / Warn / Ignore for unknown and duplicate fields, on every body-carrying verb.

Why (issue 15): the real server drops fields the type does not declare and, depending on the
directive, refuses the request (Strict; kubectl's default), warns (Warn; the server's default when the
query says nothing) or stays silent (Ignore). The messages below are the real decoder's texts, in
document order; duplicates keep the last value.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.apiserver._support import Rest, assert_status, pod_body

# A pod body with a duplicate label key, a duplicate container field and two unknown fields.
RAW = (
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","labels":{"a":"1","a":"2"}},'
    '"spec":{"foo":1,"containers":[{"name":"main","image":"x/y:1","image":"x/y:2","bogus":true}]},"extra":{}}'
)
PROBLEMS = [
    'duplicate field "metadata.labels.a"',
    'unknown field "spec.foo"',
    'duplicate field "spec.containers[0].image"',
    'unknown field "spec.containers[0].bogus"',
    'unknown field "extra"',
]
JSON_HEADERS = {"Content-Type": "application/json"}


def create(rest: Rest, directive: str | None) -> requests.Response:
    params = {"fieldValidation": directive} if directive is not None else {}
    return rest.call("POST", rest.pods_path(), data=RAW, headers=JSON_HEADERS, params=params)


def test_strict_create_is_400_listing_every_problem(bare_rest: Rest) -> None:
    body = assert_status(create(bare_rest, "Strict"), 400, "BadRequest")
    assert body["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: ' + ", ".join(PROBLEMS)
    )
    assert bare_rest.get_pod("p1").status_code == 404


@pytest.mark.parametrize("directive", ["Warn", "", None])
def test_warn_is_the_default_and_drops_unknown_fields(bare_rest: Rest, directive: str | None) -> None:
    resp = create(bare_rest, directive)
    assert resp.status_code == 201, resp.text
    raw_headers = [v for k, v in resp.raw.headers.items() if k.lower() == "warning"]
    assert raw_headers == ["299 - " + json.dumps(p) for p in PROBLEMS]
    pod = bare_rest.get_pod("p1").json()
    assert pod["metadata"]["labels"] == {"a": "2"}
    assert pod["spec"]["containers"][0]["image"] == "x/y:2" and "bogus" not in pod["spec"]["containers"][0]
    assert "foo" not in pod["spec"] and "extra" not in pod


@pytest.mark.parametrize(
    "raw",
    [
        # spaces before the duplicates' colons
        RAW.replace('"a":"2"', '"a" :"2"').replace('"image":"x/y:2"', '"image" :"x/y:2"'),
        # escaped quotes that re-encode as `\\":`, as many as there are duplicates
        RAW.replace('"name":"p1",', '"name":"p1","annotations":{"n":"\\u0022:\\u0022:"},'),
        RAW.replace('"image":"x/y:1"', '"image":"x/y:\\":1"'),  # a string holding `":`
    ],
)
def test_duplicates_are_found_however_the_body_is_spelt(bare_rest: Rest, raw: str) -> None:
    """Bodies without duplicates take a faster parser; the proof that there are none must not be fooled
    by spacing, escapes or strings that look like keys."""
    resp = bare_rest.call("POST", bare_rest.pods_path(), data=raw, headers=JSON_HEADERS)
    assert resp.status_code == 201, resp.text
    raw_headers = [v for k, v in resp.raw.headers.items() if k.lower() == "warning"]
    assert raw_headers == ["299 - " + json.dumps(p) for p in PROBLEMS]
    assert bare_rest.get_pod("p1").json()["metadata"]["labels"] == {"a": "2"}


def test_ignore_is_silent(bare_rest: Rest) -> None:
    resp = create(bare_rest, "Ignore")
    assert resp.status_code == 201
    assert "Warning" not in resp.headers


def test_unsupported_directive_is_422(bare_rest: Rest) -> None:
    body = assert_status(create(bare_rest, "strict"), 422, "Invalid")
    assert body["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": '
        'supported values: "", "Ignore", "Strict", "Warn"'
    )


def test_strict_update(bare_rest: Rest) -> None:
    pod = bare_rest.create_pod("p1")
    pod["spec"]["nope"] = 1
    resp = bare_rest.call(
        "PUT", bare_rest.pods_path(name="p1"), params={"fieldValidation": "Strict"}, json=pod
    )
    body = assert_status(resp, 400, "BadRequest")
    assert (
        body["message"]
        == 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.nope"'
    )


def test_strict_merge_patch_is_422_showing_the_patched_object(bare_rest: Rest) -> None:
    bare_rest.create_pod("p1")
    resp = bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1") + "?fieldValidation=Strict",
        data='{"metadata":{"labels":{"k":"1","k":"2"}},"spec":{"foo":1}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    body = assert_status(resp, 422, "Invalid")
    assert body["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert body["message"].endswith(
        '": strict decoding error: duplicate field "metadata.labels.k", unknown field "spec.foo"'
    )
    assert body["details"]["causes"][0]["field"] == "patch"


def test_strict_strategic_patch_shows_the_patch_as_go_prints_it(bare_rest: Rest) -> None:
    bare_rest.create_pod("p1")
    resp = bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1") + "?fieldValidation=Strict",
        data='{"spec":{"foo":1,"activeDeadlineSeconds":5}}',
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    body = assert_status(resp, 422, "Invalid")
    assert body["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[activeDeadlineSeconds:5 foo:1]]": '
        'strict decoding error: unknown field "spec.foo"'
    )


def test_json_patch_duplicates_are_named_as_json_patch_errors(bare_rest: Rest) -> None:
    bare_rest.create_pod("p1")
    resp = bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1"),
        data='[{"op":"add","op":"add","path":"/metadata/labels/x","value":"1"}]',
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert resp.status_code == 200
    assert resp.headers["Warning"] == '299 - "json patch duplicate field \\"[0].op\\""'


def test_apply_with_an_undeclared_field_is_the_real_500(bare_rest: Rest) -> None:
    body = pod_body("p1")
    body["spec"]["foo"] = 1
    resp = bare_rest.call(
        "PATCH",
        bare_rest.pods_path(name="p1") + "?fieldManager=me",
        json=body,
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert resp.status_code == 500
    assert resp.json()["message"] == (
        "failed to create typed patch object (default/p1; /v1, Kind=Pod): "
        ".spec.foo: field not declared in schema"
    )
