"""How gateways describe their container for the in-cluster placement (fixtures/gateways/container.py).

The built-ins know theirs; a YAML gateway gives a `container:` section built from the discovery config.
Expected command lines are written out by hand from the flags the gateways take (docs/gateways.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.gateways.command import CommandDriver
from fixtures.gateways.errors import GatewaySetupError
from fixtures.gateways.incluster import render_deployment
from fixtures.gateways.reference import ReferenceDriver
from fixtures.gateways.smg import SmgDriver
from reference import ServiceDiscoveryConfig

PD = ServiceDiscoveryConfig(
    enabled=True,
    selector={"app": "sglang"},
    pd_mode=True,
    prefill_selector={"role": "prefill"},
    decode_selector={"role": "decode"},
    igw_mode=True,
    namespace="ns1",
)

#: smg's / sglang-router's discovery flags for PD, spelled out (docs/gateways.md#discovery-flags).
PD_FLAGS = [
    "--service-discovery", "--selector", "app=sglang", "--pd-disaggregation", "--prefill-selector",
    "role=prefill", "--decode-selector", "role=decode", "--enable-igw",
]  # fmt: skip

YAML = """
name: my-gateway
command: ["{python}", "-c", "pass", "{port}"]
pools: {url: "http://127.0.0.1:{port}/v2/pools?all=1"}
container:
  image: registry.example/my-gateway:dev
  command: [my-gateway]
  args: ["--listen", "{pod_ip}:{port}", "{discovery_flag}", "{selector_args}", "{pd_flag}",
         "{prefill_selector_args}", "{decode_selector_args}", "{igw_flag}", "--ns={namespace}"]
  port: 8080
"""


def test_smg_runs_its_launcher_flags_on_the_pod_ip() -> None:
    spec = SmgDriver().container(PD)
    assert spec.image == "sgl-conformance/smg:1.13.0" and spec.command is None
    assert spec.args == [
        "--host",
        "$(POD_IP)",
        "--port",
        "30000",
        "--prometheus-host",
        "$(POD_IP)",
        "--prometheus-port",
        "29000",
        "--log-level",
        "info",
        *PD_FLAGS,
        "--service-discovery-port",
        "8000",
        "--service-discovery-namespace",
        "ns1",
    ]


def test_the_reference_gateway_takes_its_config_as_json() -> None:
    spec = ReferenceDriver("never-remove").container(PD)
    assert spec.image == "sgl-conformance/reference-gateway:0.1.0"
    assert spec.args[0] == "--config" and '"prefill_selector": {"role": "prefill"}' in spec.args[1]
    assert spec.args[2:] == ["--host", "$(POD_IP)", "--port", "30000", "--bug", "never-remove"]


def test_a_yaml_gateway_builds_its_container_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(YAML)
    spec = CommandDriver(path).container(PD)
    assert (spec.image, spec.command, spec.port) == ("registry.example/my-gateway:dev", ["my-gateway"], 8080)
    assert spec.args == [
        "--listen",
        "$(POD_IP):8080",
        *PD_FLAGS,
        "--ns=ns1",
    ]
    assert (spec.pools_path, spec.readiness_path) == ("/v2/pools?all=1", "/v2/pools?all=1")
    deployment = render_deployment(spec, image=str(spec.image), namespace="gw", stop_grace=2.5)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["my-gateway"] and container["ports"] == [
        {"name": "http", "containerPort": 8080}
    ]
    assert container["env"][0]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/pools?all=1"
    assert pod["terminationGracePeriodSeconds"] == 3


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("container: {image: x}", "container.args is required"),
        ("container: {args: ['{kubeconfig}']}", "container.args: unknown placeholder {kubeconfig}"),
        ("container: {args: ['--s={selector_args}']}", "{selector_args} must be an argument of its own"),
        ("container: {args: [], ports: 1}", "container: unknown key(s) ports"),
        ("container: {args: [], port: 0}", "container.port must be a port number, got 0"),
    ],
)
def test_a_bad_container_section_is_one_line(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(f"name: g\ncommand: ['x']\n{section}\n")
    with pytest.raises(GatewaySetupError) as info:
        CommandDriver(path)
    assert message in str(info.value) and str(info.value).startswith(str(path))


def test_a_yaml_gateway_without_a_container_runs_locally_only(tmp_path: Path) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text("name: g\ncommand: ['x']\n")
    with pytest.raises(GatewaySetupError, match="no container section: it cannot run in the cluster"):
        CommandDriver(path).container(PD)
