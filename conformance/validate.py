"""Checks of everything a user gives, run before the first test: names, numbers, option files, paths.

Why: a mistake found after the suite ran wastes the run (and used to cost a traceback and a lost
report); a mistake silently accepted makes the verdict lie (an unknown `--exempt-feature` ignored, an
`.inf` timeout that polls forever). Every check raises UsageError with one line naming the problem;
the CLI prints it and exits 2, the pytest plugin turns it into pytest's own usage error. Nothing here
starts a process or writes a file (the writability probe creates and removes one temporary file).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from conformance.exit_status import USAGE
from conformance.features import Feature, UnknownProfile, resolve_profiles
from conformance.timeouts import MAX_SECONDS, TimeoutConfig, TimeoutConfigError, load_timeouts


class UsageError(Exception):
    """A bad argument, option file or output path; the message is the one line the user sees."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`prog: error: ...`) and exit 2, never the usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(USAGE)


def count_arg(minimum: int = 1) -> Callable[[str], int]:
    """An argparse type: a whole number >= minimum."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def seconds_arg(*, positive: bool = False, maximum: float = MAX_SECONDS) -> Callable[[str], float]:
    """An argparse type: finite seconds, >= 0 (> 0 when `positive`), at most `maximum` (a day)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0) or value > maximum:
            bound = "> 0" if positive else ">= 0"
            raise argparse.ArgumentTypeError(
                f"must be a finite number of seconds {bound} and at most {maximum:g}, got {text!r}"
            )
        return value

    return parse


def one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split())


def check_gateway(gateway: str) -> None:
    """Refuse unknown gateway names and unusable gateway files. Reads and validates, starts nothing."""
    if (gateway.endswith((".yaml", ".yml")) or os.sep in gateway) and not Path(gateway).is_file():
        raise UsageError(f"gateway file {gateway} does not exist")
    try:
        from fixtures.gateways import get_driver

        get_driver(gateway)
    except Exception as exc:
        raise UsageError(one_line(exc) or f"unusable gateway {gateway!r}") from None


def check_profiles(names: Sequence[str]) -> None:
    try:
        resolve_profiles(names)
    except UnknownProfile as exc:
        raise UsageError(str(exc)) from None


def check_timeouts(path: str | None, overrides: Iterable[str]) -> TimeoutConfig:
    try:
        return load_timeouts(path, overrides)
    except TimeoutConfigError as exc:
        raise UsageError(str(exc)) from None


def check_features(names: Iterable[str]) -> set[Feature]:
    """Features named by `--exempt-feature` (their CamelCase names, as reports spell them)."""
    known = {f.value: f for f in Feature}
    out = set()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown feature {name!r}; choose from {', '.join(known)}")
        out.add(known[name])
    return out


def check_number(value: float, what: str, *, minimum: float = 0.0, strict: bool = False) -> float:
    """A finite number >= minimum (> minimum when strict)."""
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        raise UsageError(f"{what} must be a finite number {bound}, got {value}")
    return value


def check_output_file(path: str | Path, what: str) -> Path:
    """A file path the run may write at the end: not a directory, in a directory we can write."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{what} {path} is a directory")
    if target.exists() and not target.is_file():  # never rename over a device, a FIFO, a socket
        raise UsageError(f"{what} {path} exists and is not a regular file")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{what} {path} exists and is not writable")
    _probe_directory(target.parent, f"{what} {path}")
    return target


def check_output_dir(path: str | Path, what: str) -> Path:
    """A directory the run may create and write files into."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{what} {path} is not a directory")
    _probe_directory(target, f"{what} {path}")
    return target


def _probe_directory(directory: Path, what: str) -> None:
    """Prove the directory (or, if missing, its nearest existing ancestor) takes a new file."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{what} cannot be written: {existing} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".sgl-conformance-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what} cannot be written: {exc.strerror or exc} ({existing})") from None
