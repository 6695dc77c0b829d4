"""The one wait primitive (fixtures/waiting.py) on a fake clock: pacing, bounds, the error it raises."""

from __future__ import annotations

import itertools

import pytest

from fixtures.clusters.errors import ClusterTimeout
from fixtures.clusters.waiting import wait_until
from fixtures.waiting import WaitTimeout, poll, wait_for
from tests import polling
from tests.polling import FakeTime


def test_poll_reads_at_the_interval_and_sleeps_only_between_reads() -> None:
    time = FakeTime()
    counter = itertools.count()
    samples = list(itertools.islice(poll(lambda: next(counter), interval=0.5, clock=time.clock()), 3))
    assert [(s.t, s.elapsed, s.value) for s in samples] == [(0.0, 0.0, 0), (0.5, 0.5, 1), (1.0, 1.0, 2)]
    assert time.sleeps == [0.5, 0.5]  # none after the last read taken


def test_poll_counts_elapsed_from_a_given_start() -> None:
    time = FakeTime()
    time.now = 10.0
    first = next(poll(lambda: None, interval=1.0, clock=time.clock(), start=7.0))
    assert (first.t, first.elapsed) == (10.0, 3.0)


def test_wait_for_returns_the_first_accepted_value() -> None:
    time = FakeTime()
    assert (
        wait_for(lambda: "up" if time.now >= 2 else None, timeout=5, what="x", interval=1, clock=time.clock())
        == "up"
    )
    assert time.now == 2.0


def test_wait_for_names_what_it_waited_for_at_the_bound() -> None:
    time = FakeTime()
    with pytest.raises(WaitTimeout, match=r"timed out after 3\.0 s waiting for the pod to be gone") as info:
        wait_for(lambda: False, timeout=3, what="the pod to be gone", interval=1, clock=time.clock())
    assert info.value.waited == 3.0 and info.value.last is False


def test_wait_for_probes_once_even_without_time() -> None:
    calls = itertools.count(1)
    assert wait_for(lambda: next(calls), timeout=0, what="x", clock=FakeTime().clock()) == 1


def test_cluster_waits_fail_with_the_clusters_own_error() -> None:
    with pytest.raises(ClusterTimeout, match="waiting for pod ns/a to settle"):
        wait_until(lambda: None, timeout=0, what="pod ns/a to settle", clock=FakeTime().clock())


def test_the_tests_helper_wants_a_truthy_value_and_reports_the_last() -> None:
    with pytest.raises(AssertionError, match=r"scheduled not reached within 0.05s \(last: 0\)"):
        polling.wait_until(lambda: 0, 0.05, "scheduled", interval=0.01)
