"""PodSpec renders a proper core/v1 Pod manifest and refuses nonsense with a clear message."""

from __future__ import annotations

import pytest

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
def test_derived_state(kwargs: dict[str, object], runs_worker: bool, expects_ready: bool) -> None:
    spec = PodSpec("p", **kwargs)  # type: ignore[arg-type]
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
def test_bad_pod_spec_is_a_one_line_error(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        PodSpec(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
