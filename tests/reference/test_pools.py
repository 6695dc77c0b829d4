"""Worker, Pools and PoolsDiff: equality, ordering, printing and the plain-data round trip."""

from __future__ import annotations

from typing import Any

import pytest

from reference import Pools, PoolsDiff, Worker

A = Worker("http://127.0.0.2:8000")
B = Worker("http://127.0.0.3:8000")
P = Worker("http://127.0.0.4:8000", 8998)
P_OTHER_PORT = Worker("http://127.0.0.4:8000", 9000)
SAMPLE = Pools(regular={B, A}, prefill={P}, decode=set())


def test_pools_freeze_their_input() -> None:
    pools = Pools(regular=[A, A, B])
    assert pools.regular == frozenset({A, B})
    assert isinstance(pools.regular, frozenset)
    assert hash(pools) == hash(Pools(regular={A, B}))


def test_pools_reject_non_workers() -> None:
    with pytest.raises(TypeError, match="pool 'regular' must hold Worker objects"):
        Pools(regular={"http://127.0.0.2:8000"})  # type: ignore[arg-type]


def test_empty_and_len_and_urls() -> None:
    assert Pools.empty() == Pools()
    assert len(Pools.empty()) == 0
    assert len(SAMPLE) == 3
    assert SAMPLE.all_urls() == {"http://127.0.0.2:8000", "http://127.0.0.3:8000", "http://127.0.0.4:8000"}
    assert SAMPLE.pool("prefill") == {P}
    with pytest.raises(KeyError, match="unknown pool 'encode'"):
        SAMPLE.pool("encode")


def test_worker_order_puts_none_first_and_never_compares_none_with_int() -> None:
    assert sorted([P_OTHER_PORT, B, Worker("http://127.0.0.4:8000"), A, P]) == [
        A,
        B,
        Worker("http://127.0.0.4:8000"),
        P,
        P_OTHER_PORT,
    ]


def test_str_is_readable() -> None:
    assert str(SAMPLE) == (
        "regular (2): http://127.0.0.2:8000, http://127.0.0.3:8000\n"
        "prefill (1): http://127.0.0.4:8000 (bootstrap 8998)\n"
        "decode (0): -"
    )


def test_diff_of_equal_pools_is_falsy() -> None:
    diff = SAMPLE.diff(Pools(regular={A, B}, prefill={P}))
    assert not diff
    assert str(diff) == "no differences"


def test_diff_names_missing_and_unexpected_per_pool() -> None:
    actual = Pools(regular={A, Worker(P.url)}, prefill={P_OTHER_PORT}, decode={B})
    diff = SAMPLE.diff(actual)
    assert diff
    assert diff == PoolsDiff(
        missing=Pools(regular={B}, prefill={P}),
        unexpected=Pools(regular={Worker(P.url)}, prefill={P_OTHER_PORT}, decode={B}),
    )
    assert str(diff) == (
        "regular: missing http://127.0.0.3:8000\n"
        "regular: unexpected http://127.0.0.4:8000\n"
        "prefill: missing http://127.0.0.4:8000 (bootstrap 8998)\n"
        "prefill: unexpected http://127.0.0.4:8000 (bootstrap 9000)\n"
        "decode: unexpected http://127.0.0.3:8000"
    )


def test_to_dict_is_sorted_plain_data() -> None:
    assert SAMPLE.to_dict() == {
        "regular": [{"url": "http://127.0.0.2:8000"}, {"url": "http://127.0.0.3:8000"}],
        "prefill": [{"url": "http://127.0.0.4:8000", "bootstrap_port": 8998}],
        "decode": [],
    }


def test_round_trip() -> None:
    assert Pools.from_dict(SAMPLE.to_dict()) == SAMPLE
    assert Pools.from_dict({}) == Pools.empty()
    assert Pools.from_dict({"decode": [{"url": "u", "bootstrap_port": None}]}) == Pools(decode={Worker("u")})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"encode": []}, r"^unknown pool name\(s\) 'encode'; pools are regular, prefill, decode$"),
        ({"regular": "http://x"}, r"^pool 'regular' must be a list of workers, got str$"),
        ({"regular": [{"bootstrap_port": 1}]}, r"^a worker needs a string 'url'"),
        (
            {"prefill": [{"url": "u", "bootstrap_port": "8998"}]},
            r"^worker u: bootstrap_port must be an integer",
        ),
        (
            {"prefill": [{"url": "u", "bootstrap_port": True}]},
            r"^worker u: bootstrap_port must be an integer",
        ),
        ([], r"^pools must be a mapping of pool name to worker list, got list$"),
    ],
)
def test_from_dict_rejects_malformed_data(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pools.from_dict(data)
