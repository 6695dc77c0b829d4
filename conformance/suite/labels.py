"""Label sets shared by the scenario tables, named for what they select (so tables read at a glance)."""

from __future__ import annotations

APP = {"app": "sglang"}
OTHER_APP = {"app": "other"}

REGULAR = {"app": "sglang", "role": "regular"}
PREFILL = {"app": "sglang", "component": "prefill"}
DECODE = {"app": "sglang", "component": "decode"}
PREFILL_AND_DECODE = {"app": "sglang", "component": "prefill", "decode": "yes"}
DECODE_OR_BOTH = {"app": "sglang", "decode": "yes"}


def plus(*label_sets: dict[str, str], **extra: str) -> dict[str, str]:
    """The union of label sets plus keyword labels (later wins)."""
    out: dict[str, str] = {}
    for labels in label_sets:
        out.update(labels)
    out.update(extra)
    return out
