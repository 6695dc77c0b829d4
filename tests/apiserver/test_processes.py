"""Process containers: images mapped to local commands, run by the embedded kubelet like a node would.

Why (issue 12, "Prove it here"): the in-cluster gateway runs from an image; here an image is a local
command (`EmbeddedAPIServer(images={...})`, `--image IMAGE=COMMAND`). A container must get what a real
one gets from its pod spec (args, command, env with `$(VAR)` and the downward API), the in-cluster view
of the API (KUBERNETES_SERVICE_* and a kubeconfig with its ServiceAccount's token), its output as
`pods/log`, its port through `pods/proxy`, SIGTERM and then SIGKILL when the pod is deleted, and its
exits reported in the pod status. The container program is tests/apiserver/tinycontainer.py (or the
fake worker), so each expectation is set by the test, not by the runtime under test.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from fixtures.apiserver import EmbeddedAPIServer, random_pod_ip_start
from fixtures.apiserver.images import Image
from tests.apiserver._support import Kubectl, Rest, assert_status
from tests.apiserver.conftest import ServerFactory
from tests.apiserver.test_cli import LISTENING, Cli
from tests.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
TINY = "tiny:1"
WORKER = "worker:1"
IMAGES = {
    TINY: [sys.executable, str(Path(__file__).with_name("tinycontainer.py"))],
    WORKER: Image((sys.executable, "-m", "fixtures.workers"), workdir=str(REPO)),
}
POD_IP_ENV = {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


@pytest.fixture
def srv(make_server: ServerFactory) -> EmbeddedAPIServer:
    return make_server(images=IMAGES, pod_ip_start=random_pod_ip_start())


@pytest.fixture
def core(srv: EmbeddedAPIServer) -> Iterator[client.CoreV1Api]:
    api = config.new_client_from_config(config_file=str(srv.kubeconfig))
    yield client.CoreV1Api(api)
    api.close()


def pod(name: str, *containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    body = {"terminationGracePeriodSeconds": 5, "containers": list(containers), **spec}
    return {"metadata": {"name": name, "labels": {"app": "tiny"}}, "spec": body}


def tiny(*args: str, name: str = "main", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": TINY, "args": list(args), **extra}


def state(core: client.CoreV1Api, name: str, container: str = "main") -> Any:
    statuses = core.read_namespaced_pod(name, "default").status.container_statuses or []
    return next((s for s in statuses if s.name == container), None)


def wait_running(core: client.CoreV1Api, name: str, container: str = "main") -> Any:
    return wait_until(
        lambda: (s := state(core, name, container)) is not None and s.state.running is not None and s,
        timeout=15,
        what=f"{name}/{container} running",
    )


def wait_log(core: client.CoreV1Api, name: str, text: str, **kw: Any) -> str:
    return wait_until(
        lambda: text in (log := core.read_namespaced_pod_log(name, "default", **kw)) and log,
        timeout=15,
        what=f"{text!r} in the log of {name}",
    )


def pid_of(status: Any) -> int:
    assert status.container_id.startswith("process://"), status.container_id
    return int(status.container_id.removeprefix("process://"))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- what the container sees ----------------------------------------------------------------------------
def test_container_gets_its_pod_spec_and_the_in_cluster_view(
    srv: EmbeddedAPIServer, core: client.CoreV1Api
) -> None:
    core.create_namespaced_service_account("default", {"metadata": {"name": "runner"}})
    env = [
        {"name": "A", "value": "x"},
        {"name": "B", "value": "$(A)-y"},
        {"name": "C", "value": "$$(A)"},
        POD_IP_ENV,
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
    ]
    body = pod("p", tiny("report", "$(B)", "$(UNDEFINED)", "$$(A)", env=env), serviceAccountName="runner")
    core.create_namespaced_pod("default", body)
    report = json.loads(wait_log(core, "p", '"argv"').splitlines()[0])
    ip = core.read_namespaced_pod("p", "default").status.pod_ip
    assert report["argv"] == ["x-y", "$(UNDEFINED)", "$(A)"]
    seen = report["env"]
    assert {k: seen[k] for k in ("A", "B", "C", "POD_IP", "POD_NAME", "APP", "SA", "HOSTNAME")} == {
        "A": "x",
        "B": "x-y",
        "C": "$(A)",
        "POD_IP": ip,
        "POD_NAME": "p",
        "APP": "tiny",
        "SA": "runner",
        "HOSTNAME": "p",
    }
    port = srv.url.rsplit(":", 1)[1]
    assert (seen["KUBERNETES_SERVICE_HOST"], seen["KUBERNETES_SERVICE_PORT"]) == ("127.0.0.1", port)
    assert not {k for k in seen if k.lower().endswith("_proxy")}
    kubeconfig = yaml.safe_load(report["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == srv.url
    assert kubeconfig["contexts"][0]["context"]["namespace"] == "default"
    token = kubeconfig["users"][0]["user"]["token"]
    review = Rest(srv.url, token=token).call(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        json={"spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}},
    )
    assert review.status_code == 201  # the token authenticates (RBAC is off: allowed)


def test_container_token_is_the_pods_service_account(make_server: ServerFactory) -> None:
    srv = make_server(images=IMAGES, pod_ip_start=random_pod_ip_start(), authorization="rbac")
    api = config.new_client_from_config(config_file=str(srv.kubeconfig))
    core = client.CoreV1Api(api)
    try:
        core.create_namespaced_service_account("default", {"metadata": {"name": "runner"}})
        core.create_namespaced_pod("default", pod("p", tiny("report"), serviceAccountName="runner"))
        report = json.loads(wait_log(core, "p", '"argv"').splitlines()[0])
        token = yaml.safe_load(report["kubeconfig"])["users"][0]["user"]["token"]
        denied = assert_status(Rest(srv.url, token=token).get("/api/v1/pods"), 403, "Forbidden")
        assert denied["message"].startswith('pods is forbidden: User "system:serviceaccount:default:runner"')
        core.create_namespaced_pod("default", pod("q", tiny("report"), automountServiceAccountToken=False))
        report = json.loads(wait_log(core, "q", '"argv"').splitlines()[0])
        token = yaml.safe_load(report["kubeconfig"])["users"][0]["user"]["token"]
        denied = assert_status(Rest(srv.url, token=token).get("/api/v1/pods"), 403, "Forbidden")
        assert 'User "system:anonymous"' in denied["message"]
    finally:
        api.close()


# -- pods/proxy ------------------------------------------------------------------------------------------
def test_pod_proxy_reaches_the_container(srv: EmbeddedAPIServer, core: client.CoreV1Api) -> None:
    worker = {
        "name": "worker",
        "image": WORKER,
        "args": ["--host", "$(POD_IP)", "--port", "8000", "--model-id", "m-$(POD_IP)"],
        "env": [POD_IP_ENV],
        "ports": [{"containerPort": 8000}],
        "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 1},
    }
    core.create_namespaced_pod("default", pod("w", worker))
    wait_until(
        lambda: any(
            c.type == "Ready" and c.status == "True"
            for c in core.read_namespaced_pod("w", "default").status.conditions or []
        ),
        timeout=20,
        what="worker pod Ready",
    )
    ip = core.read_namespaced_pod("w", "default").status.pod_ip
    rest = Rest(srv.url)
    base = "/api/v1/namespaces/default/pods"
    assert rest.get(f"{base}/w/proxy/health").status_code == 200  # first declared port
    models = rest.get(f"{base}/w:8000/proxy/v1/models", params={"x": "1"})
    assert models.status_code == 200 and models.json()["data"][0]["id"] == f"m-{ip}"
    assert rest.get(f"{base}/http:w:8000/proxy/nowhere").status_code == 404  # the worker's own 404
    refused = assert_status(rest.get(f"{base}/w:9/proxy/health"), 503, "ServiceUnavailable")
    assert (
        refused["message"] == f"error trying to reach service: dial tcp {ip}:9: connect: connection refused"
    )
    bad = assert_status(rest.get(f"{base}/a:b:c:d/proxy/"), 400, "BadRequest")
    assert bad["message"] == 'invalid pod request "a:b:c:d"'
    assert_status(rest.get(f"{base}/missing/proxy/"), 404, "NotFound")
    core.create_namespaced_pod(
        "default",
        {
            **pod("noip", tiny("report")),
            "metadata": {"name": "noip", "annotations": {"kubelet.emulator/pod-ip": "none"}},
        },
    )
    no_ip = wait_until(lambda: rest.get(f"{base}/noip:80/proxy/").json(), timeout=5, what="proxy answer")
    assert no_ip["message"] == "address not allowed"


# -- pods/log ---------------------------------------------------------------------------------------------
def test_pod_log_options(srv: EmbeddedAPIServer, core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("p", tiny("lines", "5")))
    full = wait_log(core, "p", "oops")
    assert full.splitlines() == [f"line {i}" for i in range(1, 6)] + ["oops"]
    assert core.read_namespaced_pod_log("p", "default", tail_lines=2) == "line 5\noops\n"
    stamped = core.read_namespaced_pod_log("p", "default", tail_lines=1, timestamps=True)
    assert STAMP.match(stamped) and stamped.endswith(" oops\n"), stamped
    assert core.read_namespaced_pod_log("p", "default", limit_bytes=8) == "line 1\nl"
    assert core.read_namespaced_pod_log("p", "default", since_seconds=3600) == full
    rest = Rest(srv.url)
    path = "/api/v1/namespaces/default/pods/p/log"
    future = rest.get(path, params={"sinceTime": "2999-01-01T00:00:00Z"})
    assert future.status_code == 200 and future.text == ""
    wrong = assert_status(rest.get(path, params={"container": "nope"}), 400, "BadRequest")
    assert wrong["message"] == "container nope is not valid for pod p"
    previous = assert_status(rest.get(path, params={"previous": "true"}), 400, "BadRequest")
    assert previous["message"] == 'previous terminated container "main" in pod "p" not found'
    invalid = assert_status(rest.get(path, params={"tailLines": "-1"}), 422, "Invalid")
    assert (
        invalid["message"]
        == 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'
    )
    both = assert_status(
        rest.get(path, params={"sinceSeconds": "5", "sinceTime": "2024-01-01T00:00:00Z"}), 422, "Invalid"
    )
    assert "at most one of `sinceTime` or `sinceSeconds` may be specified" in both["message"]


def test_pod_log_needs_a_container_name_when_there_are_two(
    srv: EmbeddedAPIServer, core: client.CoreV1Api
) -> None:
    core.create_namespaced_pod(
        "default", pod("two", tiny("lines", "1", name="a"), tiny("lines", "2", name="b"))
    )
    rest = Rest(srv.url)
    ambiguous = assert_status(rest.get("/api/v1/namespaces/default/pods/two/log"), 400, "BadRequest")
    assert ambiguous["message"] == "a container name must be specified for pod two, choose one of: [a b]"
    assert wait_log(core, "two", "line 2", container="b").startswith("line 1\nline 2\n")


def test_follow_streams_until_the_container_ends(srv: EmbeddedAPIServer, core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("p", tiny("lines", "2")))
    wait_log(core, "p", "oops")
    resp = core.read_namespaced_pod_log("p", "default", follow=True, _preload_content=False)
    try:
        first = resp.read(len("line 1\nline 2\noops\n"))
        assert first == b"line 1\nline 2\noops\n"
        core.delete_namespaced_pod("p", "default")
        rest = resp.read()  # ends once the container has stopped
        assert rest == b"got SIGTERM\n"
    finally:
        resp.release_conn()


# -- lifecycle ---------------------------------------------------------------------------------------------
def test_exit_codes_and_restarts_are_reported(srv: EmbeddedAPIServer, core: client.CoreV1Api) -> None:
    assert srv.processes is not None
    srv.processes.restart_backoff = 0.3
    core.create_namespaced_pod("default", pod("once", tiny("exit", "3"), restartPolicy="Never"))
    wait_until(
        lambda: core.read_namespaced_pod("once", "default").status.phase == "Failed",
        timeout=15,
        what="Failed",
    )
    terminated = state(core, "once").state.terminated
    assert (terminated.exit_code, terminated.reason) == (3, "Error")
    assert core.read_namespaced_pod_log("once", "default") == "exiting 3\n"

    core.create_namespaced_pod("default", pod("loop", tiny("exit", "1")))
    restarted = wait_until(
        lambda: (s := state(core, "loop")) is not None and s.restart_count >= 1 and s,
        timeout=15,
        what="a restart",
    )
    assert restarted.last_state.terminated.exit_code == 1
    assert core.read_namespaced_pod("loop", "default").status.phase == "Running"
    assert core.read_namespaced_pod_log("loop", "default", previous=True) == "exiting 1\n"
    waiting = wait_until(
        lambda: (s := state(core, "loop")) is not None and s.state.waiting is not None and s,
        timeout=15,
        what="back-off",
    )
    assert waiting.state.waiting.reason == "CrashLoopBackOff"
    assert "restarting failed container=main pod=loop_default(" in waiting.state.waiting.message


def test_deletion_sends_sigterm_then_sigkill_after_the_grace_period(
    srv: EmbeddedAPIServer, core: client.CoreV1Api
) -> None:
    core.create_namespaced_pod("default", pod("polite", tiny("lines", "1"), terminationGracePeriodSeconds=30))
    core.create_namespaced_pod("default", pod("stubborn", tiny("stubborn"), terminationGracePeriodSeconds=1))
    polite = pid_of(wait_running(core, "polite"))
    stubborn = pid_of(wait_running(core, "stubborn"))
    wait_log(core, "stubborn", "ignoring SIGTERM")
    started = time.monotonic()
    core.delete_namespaced_pod("polite", "default")
    core.delete_namespaced_pod("stubborn", "default")
    wait_until(lambda: gone(polite), timeout=5, what="the polite process gone at SIGTERM")
    assert time.monotonic() - started < 5
    assert not gone(stubborn) or time.monotonic() - started >= 1
    wait_until(lambda: gone(stubborn), timeout=10, what="the stubborn process killed")
    assert time.monotonic() - started >= 1  # not before its grace period


def test_server_stop_kills_its_containers(srv: EmbeddedAPIServer, core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("p", tiny("stubborn")))
    pid = pid_of(wait_running(core, "p"))
    srv.restart()
    assert not gone(pid), "a restart keeps the containers running"
    srv.stop()
    assert gone(pid)


@pytest.mark.parametrize(
    ("container", "reason", "message"),
    [
        (
            {"name": "main", "image": "nginx:1.27"},
            "ErrImagePull",
            'image "nginx:1.27" is not mapped to a local command (--image nginx:1.27=COMMAND)',
        ),
        (
            tiny(command=["no-such-binary-here"]),
            "RunContainerError",
            'exec: "no-such-binary-here": executable file not found in $PATH',
        ),
        (
            tiny("report", env=[{"name": "S", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "k"}}}]),
            "CreateContainerConfigError",
            'secret "creds" not found',
        ),
    ],
)
def test_containers_that_cannot_start_wait_with_the_reason(
    core: client.CoreV1Api, container: dict[str, Any], reason: str, message: str
) -> None:
    containers = [tiny("report", name="side"), container] if container["image"] != TINY else [container]
    core.create_namespaced_pod("default", pod("p", *containers))
    waiting = wait_until(
        lambda: (
            (s := state(core, "p")) is not None
            and s.state.waiting is not None
            and s.state.waiting.reason != "ContainerCreating"
            and s
        ),
        timeout=10,
        what="a waiting reason",
    ).state.waiting
    assert (waiting.reason, waiting.message) == (reason, message)
    assert core.read_namespaced_pod("p", "default").status.phase == "Pending"


def test_map_image_needs_a_process_runtime(make_server: ServerFactory) -> None:
    with pytest.raises(ValueError, match="create it with images="):
        make_server().map_image("x", "true")
    with pytest.raises(ValueError, match="mapped images need the kubelet"):
        EmbeddedAPIServer(images={}, kubelet=False)


# -- the command line -----------------------------------------------------------------------------------
def test_cli_image_option_runs_the_mapped_command(tmp_path: Path) -> None:
    script = str(Path(__file__).with_name("tinycontainer.py"))
    cli = Cli(
        tmp_path, "--port", "0", "--pod-ip-start", "random", "--image", f"{TINY}={sys.executable} {script}"
    )
    try:
        port = int(LISTENING.fullmatch(cli.first_line()).group(1))  # type: ignore[union-attr]
        rest = Rest(f"http://127.0.0.1:{port}")
        created = rest.call("POST", "/api/v1/namespaces/default/pods", json=pod("p", tiny("lines", "2")))
        assert created.status_code == 201, created.text
        log = wait_until(
            lambda: "oops" in (text := rest.get("/api/v1/namespaces/default/pods/p/log").text) and text,
            timeout=15,
            what="the container's log",
        )
        assert log == "line 1\nline 2\noops\n"
        code, _, err = cli.stop(signal.SIGTERM)
        assert code == 0 and "Traceback" not in err
    finally:
        cli.reap()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "tiny"], "argument --image: 'tiny': expected IMAGE=COMMAND"),
        (["--image", "tiny="], "argument --image: 'tiny=': the command is empty"),
        (["--image", "tiny=x", "--no-kubelet"], "--image needs the kubelet (drop --no-kubelet)"),
        (["--authorization", "abac"], "argument --authorization: invalid choice: 'abac'"),
    ],
)
def test_cli_image_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    cli = Cli(tmp_path, "--port", "0", *args)
    try:
        _, err = cli.proc.communicate(timeout=15)
        assert cli.proc.returncode == 2
        assert err.startswith(f"fixtures.apiserver: error: {message}"), err
        assert len(err.strip().splitlines()) == 1, err
    finally:
        cli.reap()


def test_kubectl_logs_and_raw_proxy(
    srv: EmbeddedAPIServer, core: client.CoreV1Api, kubectl_bin: str, tmp_path: Path
) -> None:
    worker = {
        "name": "worker",
        "image": WORKER,
        "args": ["--host", "$(POD_IP)", "--port", "8000"],
        "env": [POD_IP_ENV],
        "ports": [{"containerPort": 8000}],
    }
    core.create_namespaced_pod("default", pod("w", worker))
    wait_log(core, "w", "fake worker serving")
    home = tmp_path / "home"
    home.mkdir()
    assert srv.kubeconfig is not None  # make_server writes it
    kubectl = Kubectl(kubectl_bin, srv.kubeconfig, home)
    assert kubectl.run("logs", "w", "--tail=1").stdout.startswith("fake worker serving on http://")
    raw = kubectl.run("get", "--raw", "/api/v1/namespaces/default/pods/w:8000/proxy/v1/models").stdout
    assert json.loads(raw)["object"] == "list"
