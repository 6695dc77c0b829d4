"""The command driver: YAML in, running gateway out; bad YAML and bad commands give one-line errors.

Why: users plug their own builds in through this driver (issue 4), so its mistakes must be clear
and its placeholders exact. The reference gateway, described in YAML, stands in for a user build
(fast, no install); examples/ are checked to load and render.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from fixtures.gateways import (
    GatewayCrashed,
    GatewayRejected,
    GatewaySetupError,
    GatewayStartTimeout,
    GatewayTiming,
    get_driver,
)
from fixtures.gateways.command import CommandDriver
from tests.gateways.conftest import discovery, regular, wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures/gateways/examples"

REFERENCE_YAML = """
name: reference-via-yaml
version: "9.9"
command: ["{python}", "-m", "fixtures.gateways.reference_gateway", "--port", "{port}",
          "--config", '{"enabled": true, "selector": {"app": "sglang"}, "port": {discovery_port}}']
env: {PYTHONPATH: "{repo}"}
pools: {url: "http://127.0.0.1:{port}/workers", list: workers, types: {regular: regular}}
effective_config:
  - {pattern: "reference gateway on", set: {igw_mode: true}}
"""


def write(tmp_path: Path, text: str, name: str = "gw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_gateway_runs_and_discovers(cluster, start_gateway, tmp_path):
    driver = get_driver(str(write(tmp_path, REFERENCE_YAML)))
    assert driver.version() == "reference-via-yaml 9.9"
    gw = start_gateway(driver, discovery(cluster.port, selector={"app": "sglang"}))
    url = cluster.pod("a", {"app": "sglang"})
    wait_for(lambda: gw.pools() == regular(url), timeout=5, what="a listed")
    assert gw.effective_config.igw_mode is True  # from the effective_config rule
    assert gw.requested_config.igw_mode is False


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\ncommand: [a\n", "not valid YAML at line"),
        ("- just a list\n", "must be a YAML mapping"),
        ("name: x\n", "command is required"),
        ("command: [a]\n", "name is required"),
        ("name: x\ncommand: [a, '{selectors}']\n", "unknown placeholder {selectors}"),
        ("name: x\ncommand: ['--x={selector_args}']\n", "must be an argument of its own"),
        ("name: x\ncommand: [a]\ncolour: blue\n", "unknown key(s) colour"),
        ("name: x\ncommand: ['{venv}/bin/gw']\n", "{venv} is used but there is no install.pip"),
        ("name: x\ncommand: [a]\npools: {types: {r: regulars}}\n", "regulars is not one of"),
        (
            "name: x\ncommand: [a]\neffective_config: [{pattern: x, set: {igw: true}}]\n",
            "unknown config field",
        ),
        ("name: x\ncommand: [a]\nflags: {selectr: --s}\n", "flags:"),
    ],
)
def test_bad_yaml_is_one_line_naming_file_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(GatewaySetupError) as info:
        get_driver(str(path))
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert problem in message
    assert "\n" not in message


def test_missing_yaml_file(tmp_path):
    with pytest.raises(GatewaySetupError, match="cannot read"):
        get_driver(str(tmp_path / "nope.yaml"))


def test_command_that_does_not_exist_cannot_be_prepared(apiserver, tmp_path):
    """A missing binary is not the gateway refusing a configuration: the run cannot test it at all."""
    driver = get_driver(
        str(write(tmp_path, "name: x\ncommand: [/nonexistent/gateway-binary, --port, '{port}']\n"))
    )
    with pytest.raises(GatewaySetupError) as info:
        driver.start(
            discovery(80, selector={"a": "b"}), kubeconfig=apiserver.kubeconfig, workdir=tmp_path / "w"
        )
    assert "/nonexistent/gateway-binary" in str(info.value)
    assert "\n" not in str(info.value)


def test_command_that_exits_at_once_is_rejected_with_its_error_line(apiserver, tmp_path):
    script = "import sys; print('starting'); print('Error: no such flag --selector'); sys.exit(2)"
    driver = get_driver(str(write(tmp_path, f'name: x\ncommand: ["{{python}}", "-c", "{script}"]\n')))
    started = time.monotonic()
    with pytest.raises(GatewayRejected) as info:
        driver.start(
            discovery(80, selector={"a": "b"}), kubeconfig=apiserver.kubeconfig, workdir=tmp_path / "w"
        )
    assert time.monotonic() - started < 5
    assert info.value.message == "no such flag --selector"
    assert info.value.exit_code == 2


def test_unknown_gateway_name_lists_the_choices():
    with pytest.raises(GatewaySetupError) as info:
        get_driver("nginx")
    message = str(info.value)
    assert "unknown gateway 'nginx'" in message
    for choice in ("reference", "reference:never-remove", "reference:ignore-igw", "smg", "sglang-router"):
        assert choice in message


def test_pr25294_example_renders_pd_igw_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("SGLANG_MAIN_GATEWAY", "/opt/sglang/sgl-model-gateway")
    driver = CommandDriver(EXAMPLES / "sglang-main-pr25294.yaml")
    cfg = discovery(
        8000,
        selector={"app": "sglang", "role": "regular"},
        pd_mode=True,
        igw_mode=True,
        prefill_selector={"component": "prefill"},
        decode_selector={"component": "decode"},
        namespace="team-a",
    )
    argv = driver.command_line(cfg, port=4321, kubeconfig=tmp_path / "kc", workdir=tmp_path)
    assert argv[0] == "/opt/sglang/sgl-model-gateway"
    joined = " ".join(argv)
    assert "--port 4321" in joined
    assert "--service-discovery --selector app=sglang role=regular --pd-disaggregation" in joined
    assert "--prefill-selector component=prefill --decode-selector component=decode --enable-igw" in joined
    assert "--service-discovery-port 8000 --service-discovery-namespace team-a" in joined


def test_pr25294_example_without_its_binary_says_which_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("SGLANG_MAIN_GATEWAY", raising=False)
    driver = CommandDriver(EXAMPLES / "sglang-main-pr25294.yaml")
    with pytest.raises(GatewaySetupError, match="environment variable SGLANG_MAIN_GATEWAY is not set"):
        driver.command_line(discovery(80, selector={"a": "b"}), port=1, kubeconfig=tmp_path, workdir=tmp_path)


def test_empty_pieces_leave_no_empty_arguments(tmp_path):
    driver = CommandDriver(EXAMPLES / "smg-1.13.0.yaml")
    driver.requirements = ()  # render only: do not install
    driver.command = [item for item in driver.command if "{venv}" not in item]
    argv = driver.command_line(
        discovery(80, selector={"a": "b"}), port=1, kubeconfig=tmp_path, workdir=tmp_path
    )
    assert "" not in argv
    assert "--pd-disaggregation" not in argv and "--enable-igw" not in argv
    assert "--service-discovery-namespace" not in argv


def test_gateway_that_never_answers_times_out_and_is_stopped(apiserver, tmp_path):
    command = '["{python}", "-c", "import time; time.sleep(60)"]'
    text = f"name: x\ncommand: {command}\nreadiness: {{timeout_seconds: 1}}\n"
    driver = get_driver(str(write(tmp_path, text)))
    started = time.monotonic()
    with pytest.raises(GatewayStartTimeout) as info:
        driver.start(  # the suite's bound (30 s) is passed, as the plugin does: the file's 1 s wins
            discovery(80, selector={"a": "b"}),
            kubeconfig=apiserver.kubeconfig,
            workdir=tmp_path / "w",
            timeout=30,
        )
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert message.startswith("x never answered http://127.0.0.1:")
    assert "bound 1 s (readiness.timeout_seconds in " in message and "it was still running" in message


def _start_script(apiserver, tmp_path, script: str):
    text = yaml.safe_dump({"name": "x", "command": ["{python}", "-c", script]})
    return get_driver(str(write(tmp_path, text))).start(
        discovery(80, selector={"a": "b"}),
        kubeconfig=apiserver.kubeconfig,
        workdir=tmp_path / "w",
        timeout=10,
    )


PANIC = "thread 'main' panicked at src/main.rs:3:5:"


@pytest.mark.parametrize(
    ("script", "how", "shown"),
    [
        (
            "import os, signal; print('starting', flush=True); os.kill(os.getpid(), signal.SIGSEGV)",
            "killed by SIGSEGV",
            "starting",
        ),
        (
            "print('WARN unrelated: metrics disabled'); raise RuntimeError('boom')",
            "exited with code 1",
            "RuntimeError: boom",
        ),
        (
            "print('listening soon'); import sys; sys.exit(0)",
            "exited with code 0 before answering http://127.0.0.1:",
            "listening soon",
        ),
        (
            f"import sys; print({PANIC!r}); print('Error: bad'); sys.exit(101)",
            "exited with code 101",
            "panicked at src/main.rs:3:5:",
        ),
        (
            "import sys; print('ERROR gateway: cannot reach the API server'); sys.exit(1)",
            "exited with code 1",
            "cannot reach the API server",
        ),
    ],
    ids=["signal", "traceback", "exit-0", "panic", "error-log-line"],
)
def test_a_crash_at_startup_is_named_as_a_crash_not_a_refusal(apiserver, tmp_path, script, how, shown):
    with pytest.raises(GatewayCrashed) as info:
        _start_script(apiserver, tmp_path, script)
    message = str(info.value)
    assert message.startswith(f"x crashed during start-up: {how}"), message
    assert "last log lines: " in message and shown in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("script", "refusal"),
    [
        (
            "import sys; print('ERROR x: Configuration error: bad selector'); sys.exit(1)",
            "Configuration error: bad selector",
        ),
        (
            "import sys; print('error: unexpected argument --selector found'); "
            "print('Usage: x [OPTIONS]'); sys.exit(2)",
            "unexpected argument --selector found",
        ),
    ],
    ids=["configuration-error", "usage-error"],
)
def test_a_refusal_carries_the_gateways_own_words(apiserver, tmp_path, script, refusal):
    with pytest.raises(GatewayRejected) as info:
        _start_script(apiserver, tmp_path, script)
    assert info.value.message == refusal


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "readiness: {timeout_seconds: .inf}",
            "readiness.timeout_seconds must be a finite number of seconds",
        ),
        (
            "readiness: {timeout_seconds: .nan}",
            "readiness.timeout_seconds must be a finite number of seconds",
        ),
        ("readiness: {timeout_seconds: -1}", "readiness.timeout_seconds must be > 0, got -1"),
        ("readiness: {timeout_seconds: 0}", "readiness.timeout_seconds must be > 0, got 0"),
        (
            "readiness: {timeout_seconds: soon}",
            "readiness.timeout_seconds must be a finite number of seconds",
        ),
        ("readiness: {timeout: 5}", "readiness: unknown key(s) timeout"),
        ("stop_grace_seconds: .nan", "stop_grace_seconds must be a finite number of seconds"),
        ("stop_grace_seconds: -2", "stop_grace_seconds must be >= 0, got -2"),
        ("stop_grace_seconds: 1.0e+9", "stop_grace_seconds must be at most 86400"),
        ("timing: {cap: 0}", "timing.cap must be > 0, got 0"),
        ("timing: {settle: -1}", "timing.settle must be >= 0, got -1"),
        ("timing: {poll: 1}", "timing: unknown key(s) poll"),
        ("timing: 5", "timing must be a mapping"),
    ],
)
def test_bad_numbers_in_the_yaml_are_refused_in_one_line(tmp_path, text, problem):
    path = write(tmp_path, f"name: x\ncommand: [a]\n{text}\n")
    with pytest.raises(GatewaySetupError) as info:
        get_driver(str(path))
    assert str(info.value).startswith(f"{path}: {problem}"), str(info.value)


def test_timing_comes_from_the_yaml_and_defaults_to_the_drivers(tmp_path):
    timed = get_driver(
        str(write(tmp_path, "name: x\ncommand: [a]\nstop_grace_seconds: 0.5\ntiming: {cap: 9}\n"))
    )
    assert timed.timing == GatewayTiming(poll_interval=0.1, settle=1.0, cap=9.0, stop_grace=0.5)
    (tmp_path / "plain").mkdir()
    plain = get_driver(str(write(tmp_path / "plain", "name: x\ncommand: [a]\n")))
    assert plain.timing == GatewayTiming()
    smg_yaml = get_driver(str(EXAMPLES / "smg-1.13.0.yaml"))
    assert smg_yaml.timing == get_driver("smg").timing  # the example behaves like the built-in driver


def test_a_port_taken_between_our_look_and_the_gateways_bind_is_retried(apiserver, tmp_path):
    """Side by side, a free port we chose can be taken before the gateway binds it: a new start with
    new ports, not a crash blamed on the gateway. The first start fails as smg does then; the second
    is the reference gateway."""
    marker = tmp_path / "first-start-done"
    taken = (
        "import os, sys\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    print('RuntimeError: failed to bind metrics server on 127.0.0.1:1: Address already in use')\n"
        "    sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
    )
    spec = yaml.safe_load(REFERENCE_YAML)
    spec["command"] = ["{python}", "-c", taken, *spec["command"][1:]]
    gateway = get_driver(str(write(tmp_path, yaml.safe_dump(spec)))).start(
        discovery(80, selector={"app": "sglang"}), kubeconfig=apiserver.kubeconfig, workdir=tmp_path / "w"
    )
    try:
        assert marker.exists() and gateway.pools() is not None  # the second start answers
    finally:
        gateway.stop()


def test_a_port_that_stays_taken_fails_as_a_crash_naming_it(apiserver, tmp_path):
    script = "import sys; print('failed to bind 127.0.0.1:1: Address already in use'); sys.exit(1)"
    with pytest.raises(GatewayCrashed, match="Address already in use"):
        _start_script(apiserver, tmp_path, script)
