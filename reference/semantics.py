"""Which version of the gateway's discovery rules a verdict is measured against.

Why this exists: the installable gateways (sglang-router 0.3.2, smg 1.13.0) predate upstream PR #25294
("Support regular worker discovery alongside PD workers in IGW mode", sgl-project/sglang, merged
2026-05-21), while the conformance suite's default expectation is the PR's behaviour
(docs/gateways.md#versions-and-the-pr and #discovery-rules). Rather than keep two copies of the reference,
every function whose answer differs takes one ``semantics=`` keyword. Only two things differ:

- ``should_include`` in PD mode: before the PR, ``igw_mode`` and ``selector`` are ignored (only the
  prefill/decode selectors count, and both being empty always warns and includes nothing);
- ``warn_if_misconfigured``: before the PR it does not exist, so it never warns.
"""

from __future__ import annotations

import enum

__all__ = ["Semantics"]


class Semantics(enum.Enum):
    """A named version of the discovery rules; ``value`` is the name used in reports and on CLIs."""

    PR_25294 = "pr-25294"
    """sgl-project/sglang main after PR #25294: regular pods are discovered alongside PD pods in IGW mode."""

    PRE_25294 = "pre-25294"
    """Before PR #25294, as shipped in sglang-router 0.3.2: ``igw_mode`` plays no part in discovery."""

    @classmethod
    def parse(cls, text: str) -> Semantics:
        """The member named ``text`` (its value, e.g. ``"pre-25294"``, or its member name).

        Raises ``ValueError`` with a one-line message listing the valid names otherwise.
        """
        for member in cls:
            if text in (member.value, member.name):
                return member
        valid = ", ".join(member.value for member in cls)
        raise ValueError(f"unknown semantics {text!r}; choose one of: {valid}")

    def __str__(self) -> str:
        return self.value
