"""How the gateway reads one Kubernetes pod: selector matching and ``PodInfo``.

Why this exists: the gateway never looks at a pod as a whole; it reduces each one to a ``PodInfo``
(name, IP, phase, readiness, role, bootstrap port) and matches labels with a plain equality check.
Those reductions decide every verdict, so they are stated here on their own, following the logic that
sglang 0.3.2, sglang main and smg share (gateway-facts.md section 3a; upstream
``sgl-model-gateway/src/service_discovery.rs``).

A pod is the JSON object as the Kubernetes API returns it (camelCase keys). Upstream deserialises it
into typed structs where absent and ``null`` are the same ``None``; here a key that is absent and a key
whose value is ``None`` are treated alike for the same reason.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import Any

from reference.config import ServiceDiscoveryConfig

__all__ = ["Pod", "PodInfo", "PodType", "matches_selector", "parse_u16"]

Pod = Mapping[str, Any]
"""A pod as the Kubernetes API returns it: ``metadata``, ``spec``, ``status`` with camelCase keys."""

# Rust's `str::parse::<u16>()`: an optional '+', then one or more ASCII digits (leading zeros allowed);
# no '-', no whitespace, no underscores, no other Unicode digits.
_U16_TEXT = re.compile(r"\+?[0-9]+", re.ASCII)


class PodType(enum.Enum):
    """The role a pod's labels give it. Only meaningful in PD mode; outside it every pod is REGULAR."""

    PREFILL = "prefill"
    DECODE = "decode"
    REGULAR = "regular"


def _section(pod: Pod, key: str) -> Mapping[str, Any] | None:
    value = pod.get(key)
    return value if isinstance(value, Mapping) else None


def _labels(pod: Pod) -> Mapping[str, Any]:
    metadata = _section(pod, "metadata") or {}
    labels = metadata.get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _annotation(pod: Pod, key: str) -> str | None:
    metadata = _section(pod, "metadata") or {}
    annotations = metadata.get("annotations")
    if not isinstance(annotations, Mapping):
        return None
    value = annotations.get(key)
    return value if isinstance(value, str) else None


def parse_u16(text: str | None) -> int | None:
    """``text`` as a port number the way Rust's ``parse::<u16>()`` reads it, else ``None``.

    ``"8998"`` -> 8998, ``"+80"`` -> 80, ``"0080"`` -> 80, ``"0"`` -> 0, ``"65535"`` -> 65535;
    ``"65536"``, ``"-1"``, ``"abc"``, ``""``, ``" 80"`` -> ``None``. Upstream swallows the error: an
    unparsable bootstrap annotation simply means "no bootstrap port".
    """
    if text is None or not _U16_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= 0xFFFF else None


def matches_selector(pod: Pod, selector: Mapping[str, str]) -> bool:
    """Whether every ``key=value`` pair of ``selector`` equals the pod's label.

    An empty selector matches nothing (upstream returns false rather than "everything"), a pod
    without labels matches no non-empty selector, and there are no set-based terms: equality only.
    """
    if not selector:
        return False
    labels = _labels(pod)
    return all(key in labels and labels[key] == value for key, value in selector.items())


@dataclasses.dataclass(frozen=True)
class PodInfo:
    """What the gateway keeps of a pod; equal ``PodInfo``s are the same tracked pod (upstream hashes it)."""

    name: str
    ip: str
    status: str
    is_ready: bool
    pod_type: PodType | None
    bootstrap_port: int | None
    is_router: bool
    mesh_port: int | None

    @classmethod
    def from_pod(cls, pod: Pod, config: ServiceDiscoveryConfig | None = None) -> PodInfo | None:
        """Reduce a pod to a ``PodInfo``, or ``None`` when the gateway would skip it.

        - ``None`` when ``metadata.name``, the ``status`` object or ``status.podIP`` is missing. An
          empty string still counts as present (upstream only checks for ``None``).
        - ``status``: ``status.phase``, or ``"Unknown"`` when the phase is missing.
        - ``is_ready``: some condition has ``type == "Ready"`` and ``status == "True"`` (exact case);
          no conditions means not ready.
        - ``pod_type``: ``None`` without a config; outside PD mode always REGULAR; in PD mode the
          first match of prefill selector > decode selector, otherwise REGULAR (also for pods that
          match neither: whether they are included at all is ``should_include``'s decision).
        - ``bootstrap_port``: only for PREFILL pods, from the ``config.bootstrap_port_annotation``
          annotation read by ``parse_u16``; ``None`` when absent or unparsable.
        - ``is_router``/``mesh_port``: the pod matches a non-empty ``config.router_selector``; the mesh
          port comes from ``config.router_mesh_port_annotation`` the same way.
        """
        metadata = _section(pod, "metadata") or {}
        name = metadata.get("name")
        status = _section(pod, "status")
        if not isinstance(name, str) or status is None:
            return None
        ip = status.get("podIP")
        if not isinstance(ip, str):
            return None
        conditions = status.get("conditions") or []
        is_ready = any(
            isinstance(condition, Mapping)
            and condition.get("type") == "Ready"
            and condition.get("status") == "True"
            for condition in conditions
        )
        phase = status.get("phase")
        pod_type = _pod_type(pod, config)
        bootstrap_port = None
        if config is not None and pod_type is PodType.PREFILL:
            bootstrap_port = parse_u16(_annotation(pod, config.bootstrap_port_annotation))
        is_router = config is not None and matches_selector(pod, config.router_selector)
        mesh_port = None
        if config is not None and is_router:
            mesh_port = parse_u16(_annotation(pod, config.router_mesh_port_annotation))
        return cls(
            name=name,
            ip=ip,
            status=phase if isinstance(phase, str) else "Unknown",
            is_ready=is_ready,
            pod_type=pod_type,
            bootstrap_port=bootstrap_port,
            is_router=is_router,
            mesh_port=mesh_port,
        )

    def is_healthy(self) -> bool:
        """Ready and in phase ``Running``: a Ready pod that is ``Pending`` is still not a worker."""
        return self.is_ready and self.status == "Running"

    def worker_url(self, port: int) -> str:
        """``http://{ip}:{port}``, as upstream formats it (an IPv6 address is not bracketed)."""
        return f"http://{self.ip}:{port}"


def _pod_type(pod: Pod, config: ServiceDiscoveryConfig | None) -> PodType | None:
    if config is None:
        return None
    if not config.pd_mode:
        return PodType.REGULAR
    if matches_selector(pod, config.prefill_selector):
        return PodType.PREFILL
    if matches_selector(pod, config.decode_selector):
        return PodType.DECODE
    return PodType.REGULAR
