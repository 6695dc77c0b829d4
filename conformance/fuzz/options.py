"""The command-line options `run` and `replay` share, parsed and checked in one place.

Why: both name a gateway, may override the check's cap and settle window, choose the reference's
semantics and run on slots (pool.py); a bad value is one line on stderr and exit 2 before anything
starts (conformance/validate.py), the same way for both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from conformance import exit_status, validate
from conformance.fuzz.pool import DEFAULT_SLOTS
from conformance.validate import OneLineParser
from reference import Semantics


def parser(prog: str, description: str) -> OneLineParser:
    """A parser whose errors are one line and whose --help ends with the exit-status table."""
    return OneLineParser(
        prog=prog,
        description=description,
        epilog=exit_status.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_shared(parser: argparse.ArgumentParser, *, gateway: str | None, semantics: str | None) -> None:
    """--gateway, --cap, --settle, --semantics (defaults: `gateway`, `semantics`; None: the file's)."""
    names = " | ".join(member.value for member in Semantics)
    where = f"default: {gateway}" if gateway else "default: the one in the file"
    parser.add_argument("--gateway", default=gateway, help=f"gateway name or YAML ({where})")
    parser.add_argument(
        "--cap",
        type=validate.seconds_arg(positive=True),
        help="seconds a check may take before it is a difference (default: the gateway driver's)",
    )
    parser.add_argument(
        "--settle",
        type=validate.seconds_arg(),
        help="settle window: after the barrier pod showed (or, without one, after the change), seconds "
        "the pools must stay as expected (default: the gateway driver's)",
    )
    parser.add_argument(
        "--semantics",
        default=semantics,
        help=f"reference semantics: {names} (default: {semantics or 'the one in the file'})",
    )


def add_slots(parser: argparse.ArgumentParser, default: int = DEFAULT_SLOTS) -> None:
    parser.add_argument(
        "--slots",
        type=validate.count_arg(1),
        default=default,
        help=f"gateways run side by side, each on its own embedded cluster (default: {default})",
    )


def semantics_of(text: str) -> Semantics:
    """The named semantics; UsageError (one line) otherwise."""
    try:
        return Semantics.parse(text)
    except ValueError as exc:
        raise validate.UsageError(validate.one_line(exc)) from None


def parse(
    parser: argparse.ArgumentParser,
    argv: Sequence[str],
    check: Callable[[argparse.Namespace], None] | None = None,
) -> argparse.Namespace | int:
    """Parsed and checked arguments, or the exit status when parsing ended the command (--help: 0, a
    mistake: 2, after one line on stderr). `check` raises validate.UsageError for values argparse
    cannot judge alone (a gateway file, an output directory)."""
    try:
        args = parser.parse_args(list(argv))
        if check is not None:
            try:
                check(args)
            except validate.UsageError as exc:
                parser.error(str(exc))
        return args
    except SystemExit as exc:  # the one-line usage error is printed; --help exits 0
        return int(exc.code or 0)
