"""One TimeoutConfig for every wait in the suite, settable from a YAML file and from flags.

Modelled on Gateway API's `conformance/utils/config/timeout.go` (docs/conventions.md#timeouts):
timing never lives inline in a test, and one field -- the time to consistency -- is a conformance cap
(section 6, row 7). Defaults keep the suite fast on two cores. A gateway that needs longer than the cap
fails, with the measured time in the message (e.g. smg re-adds a flapped pod only at its 60 s pass,
docs/gateways.md#timing); the cap is not raised to accommodate it. `overrun` lets a user keep
measuring past the cap (the verdict stays "failed") to learn how late the gateway was.

Every value must be a finite number, not negative and at most a day (MAX_SECONDS): `.nan` compares
false with everything and `.inf` makes a bounded wait poll forever, so both are refused with one line
before the run starts, never discovered in the middle of it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_SECONDS = 86400
"""No wait in the suite is meant to last a day: a larger value is a typo (or an attempt to wait forever)."""


class TimeoutConfigError(ValueError):
    """A timeout file or override that cannot be used (one-line message naming the problem)."""


@dataclass(frozen=True)
class TimeoutConfig:
    """Every bound the suite waits on, in seconds (`consecutive` is a count)."""

    poll_interval: float = 0.2
    """Seconds between two reads of the gateway's pools."""
    consecutive: int = 3
    """Equal snapshots in a row that count as converged (Gateway API RequiredConsecutiveSuccesses)."""
    max_time_to_consistency: float = 15.0
    """THE CAP: a conformant gateway shows a cluster change within this many seconds."""
    settle: float = 3.0
    """After the barrier pod shows, keep polling this long to prove excluded pods never show."""
    gateway_start: float = 30.0
    """Bound for a gateway to answer its pools URL (or exit with a refused configuration)."""
    pod_ready: float = 10.0
    """Bound for a pod (and its fake worker) to be up as the API server says."""
    overrun: float = 0.0
    """Extra seconds to keep measuring after the cap expired; the test fails either way."""
    log_wait: float = 10.0
    """Bound for an expected warning to appear in the gateway's log."""
    hold: float = 8.0
    """After changes that did not wait for the gateway (the overlap profile), the pools must stay at the
    final state until this many seconds after the last change, so that a removal the gateway still had
    pending shows inside the check (smg batches for ~1 s, then drains for 5 s: docs/gateways.md#timing)."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise TimeoutConfigError(f"timeout {field.name} must be a finite number, got {value!r}")
            if value < 0 or (field.name in {"poll_interval", "consecutive"} and value <= 0):
                raise TimeoutConfigError(f"timeout {field.name} must be positive, got {value}")
            if value > MAX_SECONDS:
                raise TimeoutConfigError(
                    f"timeout {field.name} must be at most {MAX_SECONDS} (a day), got {value}"
                )

    def to_dict(self) -> dict[str, float | int]:
        """Plain mapping for the report (seconds)."""
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Mapping[str, Any]) -> TimeoutConfig:
        """A copy with `overrides` (field name -> seconds / duration string) applied."""
        changes: dict[str, Any] = {}
        names = {f.name: f for f in dataclasses.fields(self)}
        for key, raw in overrides.items():
            name = key.replace("-", "_")
            if name not in names:
                raise TimeoutConfigError(f"unknown timeout {key!r} (known: {', '.join(names)})")
            if name == "consecutive":
                whole = isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())
                if isinstance(raw, bool) or not whole:
                    raise TimeoutConfigError(f"timeout consecutive must be a whole number, got {raw!r}")
                changes[name] = int(raw)
            else:
                changes[name] = parse_duration(raw, name=name)
        return dataclasses.replace(self, **changes)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def parse_duration(raw: object, *, name: str = "timeout") -> float:
    """Seconds from a number or a string like "15", "15s", "200ms", "1m"."""
    if isinstance(raw, bool):
        raise TimeoutConfigError(f"timeout {name} must be a duration, got {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        match = _DURATION.match(str(raw))
        if not match:
            raise TimeoutConfigError(
                f"timeout {name} must be seconds or a duration like 15s/200ms, got {raw!r}"
            )
        value = float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match.group(2) or "s"]
    if not math.isfinite(value) or value < 0:
        raise TimeoutConfigError(f"timeout {name} must be a finite number of seconds >= 0, got {raw!r}")
    return value


def load_timeouts(path: Path | str | None = None, overrides: Iterable[str] = ()) -> TimeoutConfig:
    """Defaults, then the YAML file (a mapping of field -> value), then `NAME=VALUE` overrides."""
    config = TimeoutConfig()
    if path is not None:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise TimeoutConfigError(f"cannot read timeout config {path}: {exc.strerror or exc}") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
            raise TimeoutConfigError(f"timeout config {path} is not valid YAML: {first}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise TimeoutConfigError(f"timeout config {path} must be a mapping of name: seconds")
        config = config.with_overrides(data)
    parsed: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise TimeoutConfigError(f"timeout override {item!r} must look like NAME=SECONDS")
        parsed[key.strip()] = value.strip()
    return config.with_overrides(parsed)
