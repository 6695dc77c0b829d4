"""Requested vs effective configuration: which differences make a test's premise inexpressible.

Some launchers change what was asked: smg 1.13.0's launcher, and sglang main's Rust CLI, turn IGW on
whenever discovery is on (docs/gateways.md#igw-forced-on). The driver reads the effective config from the
startup log; this module decides whether a difference matters for the test at hand. By the reference
semantics (PR #25294) `igw_mode` only changes discovery in PD mode with a `--selector`, so smg's forced
IGW spoils neither a regular-mode test nor a PD test without `--selector`, but it does spoil "PD without
IGW ignores the selector" -- that test then gets the outcome "not expressible", neither pass nor fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Fields every discovery test relies on. igw_mode joins in PD mode with a non-empty selector: only there
# does it change which pods are discovered or which warnings are logged (reference.selection).
BASE_FIELDS = ("pd_mode", "selector", "prefill_selector", "decode_selector", "namespace", "port")


def relevant_fields(requested: Any, extra: Iterable[str] = ()) -> list[str]:
    """The config fields a test with this requested config relies on (plus declared `extra`)."""
    fields = [f for f in BASE_FIELDS if hasattr(requested, f)]
    if getattr(requested, "pd_mode", False) and getattr(requested, "selector", None):
        fields.append("igw_mode")
    fields.extend(f for f in extra if f not in fields)
    return fields


def config_differences(
    requested: Any, effective: Any, fields: Iterable[str] | None = None
) -> dict[str, tuple[Any, Any]]:
    """field -> (requested value, effective value) for every differing field among `fields`."""
    names = list(fields) if fields is not None else relevant_fields(requested)
    diffs: dict[str, tuple[Any, Any]] = {}
    for name in names:
        want, got = getattr(requested, name, None), getattr(effective, name, None)
        if want != got:
            diffs[name] = (want, got)
    return diffs


def all_differences(requested: Any, effective: Any) -> dict[str, tuple[Any, Any]]:
    """Every field that differs (for the report), whether or not a test relies on it."""
    names = list(getattr(requested, "__dataclass_fields__", {}) or BASE_FIELDS)
    return config_differences(requested, effective, names)


def describe(diffs: dict[str, tuple[Any, Any]]) -> str:
    """ "igw_mode=True where the test asks for False" style text, one clause per field."""
    return "; ".join(f"{k}={got!r} where the test asks for {want!r}" for k, (want, got) in diffs.items())
