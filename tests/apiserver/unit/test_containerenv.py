"""`$(VAR)` expansion and the downward API (containerenv.py), against kube's documented rules.

Why: a gateway's pod spec passes its listen address as `--host $(POD_IP)`; the rules are the
Kubernetes documentation's ("Define dependent environment variables", "Expose pod information through
environment variables"): `$(VAR)` expands to a defined variable, `$$(VAR)` is the literal `$(VAR)`, an
undefined reference stays as written, and variables may only refer to those defined before them.
"""

from __future__ import annotations

import pytest

from fixtures.apiserver.containerenv import EnvError, command_line, container_env, expand, field_ref

POD = {
    "metadata": {
        "name": "p",
        "namespace": "ns",
        "uid": "u-1",
        "labels": {"app": "a"},
        "annotations": {"x/y": "z"},
    },
    "spec": {"nodeName": "node", "serviceAccountName": "sa"},
    "status": {"podIP": "127.0.0.9", "podIPs": [{"ip": "127.0.0.9"}], "hostIP": "127.0.0.1"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(A)", "1"),
        ("x-$(A)-$(B)", "x-1-two"),
        ("$$(A)", "$(A)"),
        ("$$$(A)", "$1"),
        ("$(MISSING)", "$(MISSING)"),
        ("$(A", "$(A"),
        ("$A", "$A"),
        ("cost: 5$", "cost: 5$"),
        ("", ""),
    ],
)
def test_expand(text: str, expected: str) -> None:
    assert expand(text, {"A": "1", "B": "two"}) == expected


def test_env_refers_to_earlier_variables_only() -> None:
    container = {
        "env": [
            {"name": "LATER_REF", "value": "$(B)"},
            {"name": "B", "value": "b"},
            {"name": "C", "value": "$(B)-$(KUBERNETES_SERVICE_HOST)"},
        ]
    }
    env = container_env(POD, container, {"KUBERNETES_SERVICE_HOST": "h"})
    assert (env["LATER_REF"], env["C"]) == ("$(B)", "b-h")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("metadata.name", "p"),
        ("metadata.namespace", "ns"),
        ("metadata.uid", "u-1"),
        ("metadata.labels['app']", "a"),
        ("metadata.annotations['x/y']", "z"),
        ("metadata.labels['absent']", ""),
        ("spec.nodeName", "node"),
        ("spec.serviceAccountName", "sa"),
        ("status.podIP", "127.0.0.9"),
        ("status.podIPs", "127.0.0.9"),
        ("status.hostIP", "127.0.0.1"),
    ],
)
def test_field_ref(path: str, value: str) -> None:
    assert field_ref(POD, path) == value


def test_unsupported_sources_fail_the_start() -> None:
    with pytest.raises(EnvError, match='secret "creds" not found'):
        container_env(
            POD, {"env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "k"}}}]}, {}
        )
    with pytest.raises(EnvError, match='configmap "cfg" not found'):
        container_env(POD, {"envFrom": [{"configMapRef": {"name": "cfg"}}]}, {})
    optional = {
        "env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "c", "key": "k", "optional": True}}}]
    }
    assert container_env(POD, optional, {})["S"] == ""
    with pytest.raises(EnvError, match="unsupported fieldPath"):
        field_ref(POD, "spec.containers")


def test_command_replaces_the_entrypoint_and_args_follow() -> None:
    env = {"IP": "127.0.0.9"}
    assert command_line({"args": ["--host", "$(IP)"]}, ["gw", "serve"], env) == [
        "gw",
        "serve",
        "--host",
        "127.0.0.9",
    ]
    assert command_line({"command": ["other"], "args": ["$(IP)"]}, ["gw"], env) == ["other", "127.0.0.9"]
    assert command_line({}, ["gw"], env) == ["gw"]
