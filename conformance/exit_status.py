"""The exit statuses of every entry point (`python -m conformance`, `matrix`, `replay`, the fuzz).

One table, printed in each `--help` and in README.md ("Exit status"; a test keeps the two equal).
A CI gate reads only this number, so a run that did not finish must never look like one that passed:
INCOMPLETE wins over every verdict except a usage error (which means nothing ran at all).
"""

from __future__ import annotations

from collections.abc import Iterable

PASSED = 0
FAILED = 1
USAGE = 2
NOT_ALL_PASSED = 3
INCOMPLETE = 4

TABLE = """\
exit status:
  0  passed: every selected test passed (fuzz: no difference found; replay: the case passes now);
     with --baseline/--expect: no regression (known failures and improvements do not fail)
  1  failed: a test failed or the gateway refused a configuration or crashed (fuzz: a difference
     was found; replay: the case fails, as recorded or differently); with --baseline/--expect: a
     regression (with --strict-baseline: any outcome other than the expected one)
  2  usage: a bad argument, option file or output path; nothing was started
  3  nothing failed, but some tests were not expressible or skipped
  4  incomplete: interrupted (SIGINT/SIGTERM), an internal error, or the gateway could not be
     installed or prepared; the tests that never ran are listed in the report"""

# Which status wins when several runs (a matrix) are combined: usage, then incomplete, then failed.
_PRECEDENCE = (USAGE, INCOMPLETE, FAILED, NOT_ALL_PASSED, PASSED)


def worst(statuses: Iterable[int]) -> int:
    """The combined status of several runs (PASSED for none)."""
    seen = set(statuses)
    for status in _PRECEDENCE:
        if status in seen:
            return status
    return INCOMPLETE if seen else PASSED
