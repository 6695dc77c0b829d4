"""The order xdist hands conformance tests out in: xdist's own slicing, balanced by expected duration."""

from __future__ import annotations

import pytest

from conformance.scheduling import balanced_order, durations_of, expected_seconds, slice_sizes


def test_slices_are_cut_as_work_stealing_cuts_them() -> None:
    assert slice_sizes(25, 8) == [3, 3, 3, 3, 3, 3, 3, 4]
    assert slice_sizes(40, 8) == [5] * 8
    assert sum(slice_sizes(7, 3)) == 7


def _slice_totals(weights: list[float], slices: int) -> list[float]:
    order, totals, start = balanced_order(weights, slices), [], 0
    for size in slice_sizes(len(weights), slices):
        totals.append(sum(weights[i] for i in order[start : start + size]))
        start += size
    return totals


def test_the_long_tests_of_one_profile_are_spread_over_the_workers() -> None:
    # collected profile by profile: seven long overlap tests together, as the suite collects them
    weights = [5.0] * 18 + [15.0] * 7 + [10.0] * 5 + [5.0] * 10
    in_collection_order = []
    start = 0
    for size in slice_sizes(len(weights), 8):
        in_collection_order.append(sum(weights[start : start + size]))
        start += size
    balanced = _slice_totals(weights, 8)
    assert max(balanced) < max(in_collection_order)
    assert max(balanced) - min(balanced) <= 15.0  # within one long test of each other


def test_every_test_is_handed_out_once_heaviest_first_in_each_slice() -> None:
    weights = [1.0, 9.0, 3.0, 7.0, 5.0, 2.0]
    order = balanced_order(weights, 2)
    assert sorted(order) == list(range(len(weights)))
    first, second = order[:3], order[3:]
    assert weights[first[0]] == max(weights[i] for i in first)
    assert weights[second[0]] == max(weights[i] for i in second)


@pytest.mark.parametrize(
    ("profiles", "measured", "expected"),
    [(("overlap",), None, 15.0), (("core",), None, 5.0), (("overlap",), 2.5, 2.5)],
)
def test_a_measured_duration_wins_over_the_profile_guess(profiles, measured, expected) -> None:
    assert expected_seconds(profiles, measured) == expected


def test_durations_come_from_the_report() -> None:
    report = {"tests": [{"id": "a", "durationSeconds": 3.5}, {"id": "b"}]}
    assert durations_of(report) == {"a": 3.5}
