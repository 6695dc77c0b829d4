"""The fake worker answers what the real gateways ask (docs/gateways.md#what-workers-are-asked,
#required-endpoints)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from fixtures.workers import FakeWorker, PortInUseError, WorkerError, WorkerSpec


@pytest.fixture
def worker(subnet: str) -> Iterator[FakeWorker]:
    with FakeWorker(f"{subnet}2", 0, model_id="qwen-test", role="prefill") as w:
        yield w


def test_health_answers_200(worker: FakeWorker, http: requests.Session) -> None:
    assert http.get(f"{worker.url}/health", timeout=5).status_code == 200


def test_server_info_carries_model_and_role(worker: FakeWorker, http: requests.Session) -> None:
    body = http.get(f"{worker.url}/server_info", timeout=5).json()
    assert body["model_path"] == "qwen-test"
    assert body["served_model_name"] == "qwen-test"
    assert body["dp_size"] == 1
    assert body["tp_size"] == 1
    assert body["disaggregation_mode"] == "prefill"
    assert isinstance(body["version"], str) and body["version"]


def test_regular_worker_reports_null_disaggregation_mode(subnet: str, http: requests.Session) -> None:
    with FakeWorker(f"{subnet}3", 0) as w:
        body = http.get(f"{w.url}/server_info", timeout=5).json()
    assert "disaggregation_mode" in body
    assert body["disaggregation_mode"] is None
    assert body["model_path"] == "fake-model"


def test_model_info_fields(worker: FakeWorker, http: requests.Session) -> None:
    body = http.get(f"{worker.url}/model_info", timeout=5).json()
    assert body["model_path"] == "qwen-test"
    assert body["is_generation"] is True
    assert isinstance(body["model_type"], str)
    assert isinstance(body["architectures"], list) and body["architectures"]


def test_v1_models_is_openai_list_shape(worker: FakeWorker, http: requests.Session) -> None:
    body = http.get(f"{worker.url}/v1/models", timeout=5).json()
    assert body == {
        "object": "list",
        "data": [{"id": "qwen-test", "owned_by": "sglang", "max_model_len": 4096}],
    }


@pytest.mark.parametrize("path", ["/version", "/loads?model=qwen-test", "/v1/loads?include=core,disagg"])
def test_polled_endpoints_answer_json(worker: FakeWorker, http: requests.Session, path: str) -> None:
    response = http.get(f"{worker.url}{path}", timeout=5)
    assert response.status_code == 200
    assert isinstance(response.json(), dict)


def test_metrics_answers_empty_text(worker: FakeWorker, http: requests.Session) -> None:
    response = http.get(f"{worker.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == ""


def test_unknown_path_is_404_and_still_recorded(worker: FakeWorker, http: requests.Session) -> None:
    assert http.get(f"{worker.url}/nope", timeout=5).status_code == 404
    assert worker.paths() == ["/nope"]


def test_requests_are_recorded_in_order_with_query_and_time(
    worker: FakeWorker, http: requests.Session
) -> None:
    before = time.monotonic()
    http.get(f"{worker.url}/health", timeout=5)
    http.get(f"{worker.url}/loads?model=qwen-test", timeout=5)
    after = time.monotonic()
    records = worker.requests
    assert [(r.method, r.path, r.query) for r in records] == [
        ("GET", "/health", ""),
        ("GET", "/loads", "model=qwen-test"),
    ]
    assert before <= records[0].time <= records[1].time <= after


def test_failing_paths_answer_503_others_unaffected(subnet: str, http: requests.Session) -> None:
    with FakeWorker(f"{subnet}4", 0, failing={"/health", "/v1/models"}) as w:
        assert http.get(f"{w.url}/health", timeout=5).status_code == 503
        assert http.get(f"{w.url}/v1/models", timeout=5).status_code == 503
        assert http.get(f"{w.url}/server_info", timeout=5).status_code == 200
        w.set_failing(set())
        assert http.get(f"{w.url}/health", timeout=5).status_code == 200
        w.set_failing({"/server_info"})
        assert http.get(f"{w.url}/server_info", timeout=5).status_code == 503


def test_slow_path_is_delayed_others_are_not(subnet: str, http: requests.Session) -> None:
    with FakeWorker(f"{subnet}5", 0, slow={"/server_info": 0.6}) as w:
        start = time.monotonic()
        assert http.get(f"{w.url}/server_info", timeout=5).status_code == 200
        slow_elapsed = time.monotonic() - start
        start = time.monotonic()
        assert http.get(f"{w.url}/health", timeout=5).status_code == 200
        fast_elapsed = time.monotonic() - start
    assert slow_elapsed >= 0.6
    assert fast_elapsed < 0.5


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_SETTINGS_FRAME = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _send_raw(host: str, port: int, chunks: list[bytes]) -> bytes:
    """Send raw bytes (chunk by chunk), then read until the server closes; returns what it sent back."""
    with socket.create_connection((host, port), timeout=5) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
            time.sleep(0.05)
        received = b""
        while data := sock.recv(4096):
            received += data
    return received


@pytest.mark.parametrize(
    "chunks",
    [[H2_PREFACE + H2_SETTINGS_FRAME], [b"PR", b"I * HTTP/2", b".0\r\n\r\nSM\r\n\r\n" + H2_SETTINGS_FRAME]],
    ids=["whole", "split"],
)
def test_http2_preface_is_refused_recorded_and_worker_keeps_serving(
    worker: FakeWorker, http: requests.Session, caplog: pytest.LogCaptureFixture, chunks: list[bytes]
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    for _ in range(3):
        assert _send_raw(worker.host, worker.port, chunks) == b""  # closed without an HTTP/1.1 answer
    assert http.get(f"{worker.url}/health", timeout=5).status_code == 200
    assert worker.paths() == ["PRI *", "PRI *", "PRI *", "/health"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_bootstrap_port_accepts_connections(subnet: str, unused_port: int) -> None:
    with FakeWorker(f"{subnet}6", 0, role="prefill", bootstrap_port=unused_port) as w:
        for _ in range(2):
            with socket.create_connection((w.host, unused_port), timeout=5):
                pass
        deadline = time.monotonic() + 5
        while w.bootstrap_connections < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert w.bootstrap_connections == 2


def test_port_in_use_is_a_one_line_error_naming_ip_and_port(subnet: str) -> None:
    host = f"{subnet}7"
    with socket.socket() as blocker:
        blocker.bind((host, 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(PortInUseError) as info:
            FakeWorker(host, port).start()
    message = str(info.value)
    assert f"{host}:{port}" in message
    assert "\n" not in message


def test_bootstrap_port_in_use_is_reported_and_http_site_released(subnet: str) -> None:
    host = f"{subnet}8"
    with socket.socket() as blocker:
        blocker.bind((host, 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        worker = FakeWorker(host, 0, role="prefill", bootstrap_port=taken)
        with pytest.raises(PortInUseError, match=rf"{host}:{taken}"):
            worker.start()
    assert not worker.running


def test_stop_closes_the_port_and_is_idempotent(subnet: str, http: requests.Session) -> None:
    from tests.workers.conftest import connection_refused

    w = FakeWorker(f"{subnet}9", 0).start()
    assert http.get(f"{w.url}/health", timeout=5).status_code == 200
    w.stop()
    w.stop()
    assert connection_refused(w.host, w.port)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"role": "router"}, "role"),
        ({"failing": frozenset({"health"})}, "start with '/'"),
        ({"model_id": ""}, "model_id"),
        ({"bootstrap_port": 70000}, "bootstrap_port"),
    ],
)
def test_bad_spec_is_a_clear_error(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        WorkerSpec(**kwargs)  # type: ignore[arg-type]


def test_worker_error_is_the_base_of_port_in_use() -> None:
    assert issubclass(PortInUseError, WorkerError)


def test_stopping_a_worker_mid_slow_request_is_quick(subnet: str) -> None:
    import threading

    w = FakeWorker(f"{subnet}10", 0, slow={"/health": 30.0}).start()
    outcome: list[object] = []

    def call() -> None:
        with requests.Session() as session:
            session.trust_env = False
            try:
                outcome.append(session.get(f"{w.url}/health", timeout=10).status_code)
            except requests.RequestException as exc:
                outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while not w.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert w.paths() == ["/health"]
    start = time.monotonic()
    w.stop()
    assert time.monotonic() - start < 3
    caller.join(10)
    assert len(outcome) == 1 and outcome[0] != 200
