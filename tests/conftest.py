"""Hooks for the harness's own test run (tox's `tests` env runs it side by side with pytest-xdist)."""

from __future__ import annotations

import gc

import pytest

# Modules that take longest (they wait on real gateway runs): run first, so that side by side the
# rest of the tests fill the time around them instead of waiting behind them at the end.
LONGEST_FIRST = (
    "tests/conformance/test_proof.py",
    "tests/fuzz/test_live_fuzz.py",
    "tests/chaos/test_chaos.py",
    "tests/conformance/test_cli.py",
    "tests/conformance/test_semantics.py",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest modules first; and make `--dist loadgroup` keep each `xdist_group` on one worker.

    pytest-xdist 3.8 tells its scheduler a test's group by appending `@<group>` to the test's node id
    in the worker; pytest 9.2 builds node ids from a structured id and ignores that change, so every
    group would be spread over the workers -- and each worker would build a module's shared fixture
    (five conformance runs, forty bad-input runs) again. Here the suffix is put on the structured id;
    where xdist already managed it this does nothing.
    """
    items.sort(key=_rank)  # stable: the order inside each module stays
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # an older pytest: xdist's own suffix works there
        return
    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection imported (the harness, the kubernetes client, Hypothesis): it lives until
    the worker ends, so the garbage collector need not walk it again at every sweep during the tests."""
    gc.freeze()
