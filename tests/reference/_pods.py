"""Hand-written pod builders for the reference tests (kept apart from the Hypothesis strategies, so a
bug in the strategies cannot hide a bug in the reference)."""

from __future__ import annotations

from typing import Any

from reference import ServiceDiscoveryConfig

BOOTSTRAP = "sglang.ai/bootstrap-port"
ABSENT: Any = object()  # marks a field that is left out of the pod


def pod(
    name: Any = "p",
    ip: Any = "10.0.0.1",
    *,
    phase: Any = "Running",
    ready: Any = "True",
    labels: Any = ABSENT,
    annotations: Any = ABSENT,
    namespace: Any = ABSENT,
    deletion: Any = ABSENT,
    status: bool = True,
) -> dict[str, Any]:
    """A pod dict; ``ready`` is the Ready condition's status string, or ABSENT for no conditions."""
    metadata: dict[str, Any] = {}
    for key, value in (
        ("name", name),
        ("labels", labels),
        ("annotations", annotations),
        ("namespace", namespace),
        ("deletionTimestamp", deletion),
    ):
        if value is not ABSENT:
            metadata[key] = value
    result: dict[str, Any] = {"metadata": metadata, "spec": {"containers": [{"name": "c"}]}}
    if status:
        body: dict[str, Any] = {}
        if ip is not ABSENT:
            body["podIP"] = ip
        if phase is not ABSENT:
            body["phase"] = phase
        if ready is not ABSENT:
            body["conditions"] = [{"type": "Ready", "status": ready}]
        result["status"] = body
    return result


def pd_pod(name: str, ip: str, component: str, bootstrap: Any = ABSENT) -> dict[str, Any]:
    """Labels app=sglang, component=<component>; optional bootstrap annotation (like upstream's helper)."""
    annotations = {} if bootstrap is ABSENT else {BOOTSTRAP: str(bootstrap)}
    return pod(name, ip, labels={"app": "sglang", "component": component}, annotations=annotations)


def regular_pod(name: str, ip: str) -> dict[str, Any]:
    """Labels app=regular-worker (like upstream's regular-pod helper)."""
    return pod(name, ip, labels={"app": "regular-worker"})


def pd_config(**changes: Any) -> ServiceDiscoveryConfig:
    """PD mode, prefill app=sglang,component=prefill; decode app=sglang,component=decode; port 8080."""
    fields: dict[str, Any] = {
        "enabled": True,
        "port": 8080,
        "pd_mode": True,
        "prefill_selector": {"app": "sglang", "component": "prefill"},
        "decode_selector": {"app": "sglang", "component": "decode"},
    }
    fields.update(changes)
    return ServiceDiscoveryConfig(**fields)
