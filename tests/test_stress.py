"""`tox -e stress`'s wrapper (tests/stress.py): its busy loops spin while the command runs and are gone
after it, whatever the command's status."""

from __future__ import annotations

import os
import sys

import pytest

from tests.stress import BusyLoops, main


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_commands_status_is_returned(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--busy", "2", "--", sys.executable, "-c", "import sys; sys.exit(3)"]) == 3
    assert "exited 3 after" in capsys.readouterr().out


def test_busy_loops_share_one_group_and_die_with_it() -> None:
    loops = BusyLoops(2).start()
    try:
        pids = [p.pid for p in loops.procs]
        assert all(_alive(pid) for pid in pids)
        assert {os.getpgid(pid) for pid in pids} == {loops.group} != {os.getpgrp()}
    finally:
        loops.stop()
    assert not any(_alive(pid) for pid in pids)
