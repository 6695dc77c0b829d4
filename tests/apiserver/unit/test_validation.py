"""Label, name and pod validation with kube's messages (docs/apiserver.md S3, M2, X1, W11)."""

from __future__ import annotations

import pytest

from fixtures.apiserver import validation
from fixtures.apiserver.errors import ApiError

VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize("value", ["", "a", "A.b_c-9", "x" * 63])
def test_good_label_values(value: str) -> None:
    assert validation.label_value_errors(value) == []


def test_bad_label_values() -> None:
    assert validation.label_value_errors("-bad") == [VALUE_MSG]
    assert validation.label_value_errors("x" * 64) == ["must be no more than 63 characters"]


@pytest.mark.parametrize("key", ["app", "example.com/role", "a.b-c_d", "k8s.io/x"])
def test_good_label_keys(key: str) -> None:
    assert validation.label_key_errors(key) == []


@pytest.mark.parametrize("key", ["", "-a", "a/b/c", "/a", "Example.com/a", "a/", "x" * 64])
def test_bad_label_keys(key: str) -> None:
    assert validation.label_key_errors(key)


def good_pod(**labels: str) -> dict[str, object]:
    return {
        "metadata": {"name": "p1", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
    }


def test_invalid_label_gives_422_with_cause() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_pod(good_pod(app="-bad"))
    err = info.value
    assert err.code == 422 and err.reason == "Invalid"
    assert err.message == f'Pod "p1" is invalid: metadata.labels: Invalid value: "-bad": {VALUE_MSG}'
    assert err.details is not None
    assert err.details["kind"] == "Pod"
    assert err.details["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": f'Invalid value: "-bad": {VALUE_MSG}',
            "field": "metadata.labels",
        }
    ]


def test_two_problems_are_bracketed() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_pod(good_pod(a="-x", b="y" * 64))
    assert info.value.message.startswith('Pod "p1" is invalid: [metadata.labels: Invalid value: "-x"')


def test_pod_needs_containers_with_name_and_image() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_pod({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})
    assert [c["field"] for c in info.value.details["causes"]] == ["spec.containers[0].image"]
    with pytest.raises(ApiError) as info:
        validation.check_pod({"metadata": {"name": "p"}, "spec": {}})
    assert [c["field"] for c in info.value.details["causes"]] == ["spec.containers"]


def test_pod_name_must_be_dns_subdomain() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_pod({**good_pod(), "metadata": {"name": "Bad_Name"}})
    assert info.value.details["causes"][0]["field"] == "metadata.name"


def test_send_initial_events_requires_not_older_than() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_list_options(
            watch=True, resource_version=None, rv_match=None, send_initial_events=True
        )
    assert info.value.code == 422
    assert "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in info.value.message
    validation.check_list_options(
        watch=True, resource_version="0", rv_match="NotOlderThan", send_initial_events=True
    )


def test_rv_match_on_plain_watch_is_422() -> None:
    with pytest.raises(ApiError) as info:
        validation.check_list_options(
            watch=True, resource_version="5", rv_match="NotOlderThan", send_initial_events=None
        )
    assert info.value.code == 422
