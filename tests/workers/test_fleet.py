"""The fleet runs many workers on one loop thread and always cleans up (docs/architecture.md#how-a-test-runs
step 3)."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from fixtures.workers import Fleet, PortInUseError, WorkerError, WorkerSpec
from tests.workers.conftest import connection_refused

PORT = 18000  # every pod serves the discovery port on its own IP, like a real cluster


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_fifty_workers_share_one_thread_and_all_stop(subnet: str, http: requests.Session) -> None:
    ips = [f"{subnet}{n}" for n in range(2, 52)]
    threads_before = _threads()
    with Fleet() as fleet:
        for n, ip in enumerate(ips):
            fleet.start(ip, PORT, WorkerSpec(model_id=f"m{n}"))
        assert len(fleet) == 50
        assert len(_threads() - threads_before) == 1
        for n, ip in enumerate(ips):
            models = http.get(f"http://{ip}:{PORT}/v1/models", timeout=5).json()
            assert models["data"][0]["id"] == f"m{n}"
        assert fleet.stop(ips[0]) is True
        assert connection_refused(ips[0], PORT)
        assert http.get(f"http://{ips[1]}:{PORT}/health", timeout=5).status_code == 200
        assert fleet.get(ips[0]) is None
        assert fleet.get(ips[1]) is not None
    assert all(connection_refused(ip, PORT) for ip in ips)
    assert _threads() - threads_before == set()


def test_stop_unknown_ip_returns_false(subnet: str) -> None:
    with Fleet() as fleet:
        assert fleet.stop(f"{subnet}99") is False


def test_stop_all_keeps_the_fleet_usable(subnet: str, http: requests.Session) -> None:
    with Fleet() as fleet:
        fleet.start(f"{subnet}2", PORT)
        fleet.start(f"{subnet}3", PORT)
        fleet.stop_all()
        assert len(fleet) == 0
        assert connection_refused(f"{subnet}2", PORT)
        fleet.start(f"{subnet}2", PORT)
        assert http.get(f"http://{subnet}2:{PORT}/health", timeout=5).status_code == 200


def test_workers_stop_when_the_with_block_fails(subnet: str) -> None:
    ips = [f"{subnet}{n}" for n in range(2, 6)]
    threads_before = _threads()
    with pytest.raises(RuntimeError, match="test body failed"), Fleet() as fleet:
        for ip in ips:
            fleet.start(ip, PORT)
        raise RuntimeError("test body failed")
    assert all(connection_refused(ip, PORT) for ip in ips)
    assert _threads() - threads_before == set()


def test_port_in_use_names_ip_and_port_and_fleet_stays_healthy(subnet: str, http: requests.Session) -> None:
    host = f"{subnet}2"
    with Fleet() as fleet, socket.socket() as blocker:
        blocker.bind((host, PORT))
        blocker.listen()
        with pytest.raises(PortInUseError) as info:
            fleet.start(host, PORT)
        assert str(info.value) == f"cannot start fake worker: {host}:{PORT} is already in use"
        assert fleet.get(host) is None
        fleet.start(f"{subnet}3", PORT)
        assert http.get(f"http://{subnet}3:{PORT}/health", timeout=5).status_code == 200


def test_second_worker_on_same_ip_is_refused(subnet: str) -> None:
    with Fleet() as fleet:
        fleet.start(f"{subnet}2", PORT)
        with pytest.raises(WorkerError, match=rf"already runs a worker on {subnet}2"):
            fleet.start(f"{subnet}2", PORT + 1)
