"""The gateway's service-discovery configuration, field for field.

Why this exists: every expectation in the suite is a function of this configuration, so it mirrors
upstream's ``ServiceDiscoveryConfig`` (sgl-project/sglang ``sgl-model-gateway/src/service_discovery.rs``
after PR #25294; docs/gateways.md#discovery-rules) with the same field names and defaults. Drivers translate
it into command-line flags; the reference reads it to decide which pods are workers.

Decision: ``check_interval`` and ``resync_interval`` are ``float`` seconds (60.0 and 30.0), not
``timedelta``: they end up in YAML reports and on command lines, where plain numbers are clearer.
Note the dataclass default ``port=8000`` is upstream's struct default; both gateways' command lines
default ``--service-discovery-port`` to 80 instead (docs/gateways.md#installs-and-launchers), so a driver must
pass the port explicitly.
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "DEFAULT_BOOTSTRAP_PORT_ANNOTATION",
    "DEFAULT_ROUTER_MESH_PORT_ANNOTATION",
    "ServiceDiscoveryConfig",
]

DEFAULT_BOOTSTRAP_PORT_ANNOTATION = "sglang.ai/bootstrap-port"
DEFAULT_ROUTER_MESH_PORT_ANNOTATION = "sglang.ai/ha-port"


@dataclasses.dataclass
class ServiceDiscoveryConfig:
    """Upstream's discovery settings. Selectors are equality label selectors (``{key: value}``).

    An empty selector never matches anything (see ``matches_selector``). ``namespace=None`` means the
    gateway watches every namespace.
    """

    enabled: bool = False
    selector: dict[str, str] = dataclasses.field(default_factory=dict)
    check_interval: float = 60.0
    """Seconds to wait before restarting an exited watcher (pre-PR) / router-discovery watcher."""
    resync_interval: float = 30.0
    """Seconds between the authoritative full LISTs added upstream after 0.3.2."""
    port: int = 8000
    namespace: str | None = None
    pd_mode: bool = False
    prefill_selector: dict[str, str] = dataclasses.field(default_factory=dict)
    decode_selector: dict[str, str] = dataclasses.field(default_factory=dict)
    bootstrap_port_annotation: str = DEFAULT_BOOTSTRAP_PORT_ANNOTATION
    router_selector: dict[str, str] = dataclasses.field(default_factory=dict)
    router_mesh_port_annotation: str = DEFAULT_ROUTER_MESH_PORT_ANNOTATION
    igw_mode: bool = False
