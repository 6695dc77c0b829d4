"""PodSpec renders a proper core/v1 Pod manifest and refuses nonsense with a clear message."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from fixtures.clusters import PodSpec
from fixtures.workers import WorkerSpec


def test_manifest_has_container_image_port_labels_and_annotations() -> None:
    manifest = PodSpec(
        "pre-a",
        labels={"app": "sglang", "component": "prefill"},
        annotations={"team": "x"},
        port=18000,
        bootstrap_port=8998,
        worker=WorkerSpec(model_id="m", role="prefill"),
        termination_grace_seconds=5,
    ).to_manifest()
    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "Pod"
    assert manifest["metadata"]["name"] == "pre-a"
    assert manifest["metadata"]["labels"] == {"app": "sglang", "component": "prefill"}
    assert manifest["metadata"]["annotations"] == {"team": "x", "sglang.ai/bootstrap-port": "8998"}
    container = manifest["spec"]["containers"][0]
    assert container["name"] == "worker"
    assert container["image"] == "sgl-conformance/fake-worker:0.1"
    assert container["ports"] == [{"name": "http", "containerPort": 18000, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": 18000}
    assert container["args"] == [
        "--port", "18000", "--model-id", "m", "--role", "prefill", "--bootstrap-port", "8998",
    ]  # fmt: skip
    assert manifest["spec"]["terminationGracePeriodSeconds"] == 5


def test_manifest_without_annotations_or_grace_leaves_them_out() -> None:
    manifest = PodSpec("reg-a").to_manifest()
    assert "annotations" not in manifest["metadata"]
    assert "terminationGracePeriodSeconds" not in manifest["spec"]


def test_invalid_bootstrap_annotation_is_written_verbatim_and_not_listened_on() -> None:
    spec = PodSpec("pre-c", bootstrap_port="abc")
    assert spec.to_manifest()["metadata"]["annotations"] == {"sglang.ai/bootstrap-port": "abc"}
    assert spec.worker_spec().bootstrap_port is None


def test_valid_bootstrap_port_makes_the_worker_listen() -> None:
    assert PodSpec("pre-a", bootstrap_port="8998").worker_spec().bootstrap_port == 8998


@pytest.mark.parametrize(
    ("kwargs", "runs_worker", "expects_ready"),
    [
        ({}, True, True),
        ({"ready": False}, True, False),
        ({"phase": "Pending"}, False, False),
        ({"has_ip": False}, False, True),
        ({"reachable": False}, False, True),
    ],
)
def test_derived_state(kwargs: dict[str, Any], runs_worker: bool, expects_ready: bool) -> None:
    spec = PodSpec("p", **kwargs)
    assert spec.runs_worker is runs_worker
    assert spec.expects_ready is expects_ready


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"name": ""}, "name"),
        ({"name": "p", "phase": "Runing"}, "phase must be one of"),
        ({"name": "p", "port": 0}, "not a TCP port"),
        ({"name": "p", "termination_grace_seconds": -1}, "termination_grace_seconds"),
    ],
)
def test_bad_pod_spec_is_a_one_line_error(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        PodSpec(**kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("annotation", "listens_on"),
    [("8998", 8998), ("+8998", 8998), ("08998", 8998), ("0", None), ("65536", None), (" 8998", None)],
)
def test_the_worker_listens_where_the_gateways_read_the_port(annotation: str, listens_on: int | None) -> None:
    assert PodSpec("pre", bootstrap_port=annotation).worker_spec().bootstrap_port == listens_on


SPECS = [
    PodSpec("plain"),
    PodSpec(
        "everything",
        labels={"app": "sglang"},
        annotations={"team": "x"},
        ready=False,
        phase="Pending",
        has_ip=False,
        reachable=False,
        port=18000,
        bootstrap_port="08998",
        worker=WorkerSpec(model_id="m", role="prefill", failing=frozenset({"/health"}), slow={"/x": 1.0}),
        termination_grace_seconds=5,
        namespace="ns-other",
        terminating=True,
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_to_dict_round_trips_through_yaml(spec: PodSpec) -> None:
    data = spec.to_dict()
    assert PodSpec.from_dict(yaml.safe_load(yaml.safe_dump(data))) == spec


def test_to_dict_leaves_defaults_out() -> None:
    assert PodSpec("p", labels={"a": "b"}, bootstrap_port=1).to_dict() == {
        "name": "p",
        "labels": {"a": "b"},
        "bootstrap_port": 1,
    }


def test_from_dict_reads_the_old_bootstrap_key() -> None:
    assert PodSpec.from_dict({"name": "p", "bootstrap": "abc"}).bootstrap_port == "abc"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "a pod needs at least a name"),
        ({"name": "p", "colour": "red"}, "pod p: unknown field(s) colour"),
        ({"name": "p", "labels": ["a"]}, "pod p: labels must be a mapping"),
        ({"name": "p", "phase": "Runing"}, "pod p: phase must be one of"),
        ({"name": "p", "worker": {"role": "x"}}, "pod p: worker: worker role must be one of"),
        ({"name": "p", "worker": {"size": 1}}, "pod p: worker: "),
    ],
)
def test_bad_pod_dicts_are_one_line_errors(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError) as info:
        PodSpec.from_dict(data)
    assert problem in str(info.value) and "\n" not in str(info.value)


def _pod(status: dict[str, object] | None, **meta: object) -> dict[str, object]:
    pod: dict[str, object] = {
        "metadata": {"name": "g", "namespace": "ns-other", "labels": {"a": "b"}, **meta}
    }
    if status is not None:
        pod["status"] = status
    return pod


READY = [{"type": "Ready", "status": "True"}]


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (
            _pod({"phase": "Running", "podIP": "127.0.0.2", "conditions": READY}),
            PodSpec("g", labels={"a": "b"}, namespace="ns-other"),
        ),
        (
            _pod(None),
            PodSpec("g", labels={"a": "b"}, namespace="ns-other", phase="Pending", ready=False, has_ip=False),
        ),
        (  # a lost node's pod: phase Unknown, no Ready condition -- both are kept (written via /status)
            _pod({"phase": "Unknown", "podIP": "127.0.0.2"}),
            PodSpec(
                "g",
                labels={"a": "b"},
                namespace="ns-other",
                phase="Unknown",
                ready=False,
                ready_conditions=(),
            ),
        ),
        (  # duplicate Ready conditions: "some Ready condition is True"
            _pod(
                {
                    "phase": "Running",
                    "podIP": "127.0.0.2",
                    "conditions": [{"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True"}],
                }
            ),
            PodSpec("g", labels={"a": "b"}, namespace="ns-other", ready_conditions=("False", "True")),
        ),
        (  # a phase no cluster writes
            _pod({"phase": "Exploded", "podIP": "127.0.0.2", "conditions": READY}),
            PodSpec("g", labels={"a": "b"}, namespace="ns-other", phase="Failed"),
        ),
        (
            _pod(
                {"phase": "Running", "conditions": READY},
                annotations={"sglang.ai/bootstrap-port": "+1", "x": "y"},
                deletionTimestamp="2026-01-01T00:00:00Z",
            ),
            PodSpec(
                "g",
                labels={"a": "b"},
                namespace="ns-other",
                has_ip=False,
                bootstrap_port="+1",
                annotations={"x": "y"},
                terminating=True,
            ),
        ),
    ],
)
def test_from_pod_keeps_what_a_live_cluster_can_hold(pod: dict[str, object], expected: PodSpec) -> None:
    assert PodSpec.from_pod(pod) == expected
