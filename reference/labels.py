"""Which selector keys and values no Kubernetes label can hold.

Why this exists: the gateway accepts any ``key=value`` (see ``reference.cli``), but a pod can only
carry labels that pass Kubernetes validation, so a selector term with an impossible key or value can
never match anything. The conformance lint uses ``label_value_problems`` to warn before a run, most
importantly about the comma pitfall (docs/gateways.md#selector-pitfall): ``--selector a=b,c=d`` parses
as ``a: 'b,c=d'``, and no label value may contain ``,`` or ``=``.

The rules are Kubernetes' own (apimachinery ``IsQualifiedName`` / ``IsValidLabelValue``):

- value: at most 63 characters, empty or ``([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]``;
- key: ``[prefix/]name``; name is 1-63 characters of the same pattern; the optional prefix is a
  DNS-1123 subdomain (at most 253 characters, lowercase dot-separated ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "did_you_mean",
    "is_valid_label_key",
    "is_valid_label_value",
    "label_key_problem",
    "label_value_problem",
    "label_value_problems",
]

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*", re.ASCII)
_MAX_NAME = 63
_MAX_PREFIX = 253


def label_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be a label value, or ``None`` when it can (the empty value is valid)."""
    if len(value) > _MAX_NAME:
        return f"longer than {_MAX_NAME} characters"
    if value and not _NAME.fullmatch(value):
        return "must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
    return None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a label key, or ``None`` when it can."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if "/" in prefix:
            return "has more than one '/'"
        if not prefix:
            return "has an empty prefix before '/'"
        if len(prefix) > _MAX_PREFIX or not _DNS_SUBDOMAIN.fullmatch(prefix):
            return f"prefix {prefix!r} is not a DNS subdomain (lowercase alphanumerics, '-', '.')"
    if not name:
        return "name part is empty"
    if len(name) > _MAX_NAME:
        return f"name part is longer than {_MAX_NAME} characters"
    if not _NAME.fullmatch(name):
        return "name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
    return None


def is_valid_label_key(key: str) -> bool:
    return label_key_problem(key) is None


def is_valid_label_value(value: str) -> bool:
    return label_value_problem(value) is None


def did_you_mean(key: str, value: str) -> str | None:
    """The separate terms a comma-joined value was probably meant as, or ``None``.

    ``did_you_mean("a", "b,c=d")`` is ``"a=b c=d"``: the value holds ``,`` and every piece after the
    first is itself ``k=v``. Anything else gives ``None``.
    """
    first, *rest = value.split(",")
    if not rest or not all("=" in piece and not piece.startswith("=") for piece in rest):
        return None
    return " ".join([f"{key}={first}", *rest])


def label_value_problems(selector: Mapping[str, str], *, flag: str = "--selector") -> list[str]:
    """One-line messages for every term of ``selector`` that no pod label can ever match, sorted by key.

    Empty when every key and value is a valid Kubernetes label key/value. ``flag`` names the option
    in the messages, e.g. ``--selector a=b,c=d parses as a: 'b,c=d', which no label value can hold
    (...); did you mean --selector a=b c=d``.
    """
    problems: list[str] = []
    for key in sorted(selector):
        value = selector[key]
        key_problem = label_key_problem(key)
        if key_problem is not None:
            problems.append(
                f"{flag} term {key}={value}: key {key!r} is not a valid label key ({key_problem})"
            )
        value_problem = label_value_problem(value)
        if value_problem is not None:
            message = (
                f"{flag} {key}={value} parses as {key}: {value!r}, which no label value can hold "
                f"({value_problem})"
            )
            hint = did_you_mean(key, value)
            if hint is not None:
                message += f"; did you mean {flag} {hint}"
            problems.append(message)
    return problems
