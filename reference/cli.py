"""How the gateway's command line turns ``--selector app=x role=y`` into a selector.

Why this exists: scenarios are written as command lines, and the most common discovery mistake is a
selector that does not mean what it looks like (docs/gateways.md#selector-pitfall:
``--selector app=sglang,role=regular`` is the single pair ``{"app": "sglang,role=regular"}``, and the
matching pod is never registered, silently). The reference must parse exactly as the gateway does.

What the gateways do, read from the launchers' ``RouterArgs._parse_selector`` (smg 1.13.0,
sglang-router 0.3.2) and sglang main's Rust CLI ``CliArgs::parse_selector``; the ``=v``, ``a=``,
``a=b=c`` and ``a=b,c=d`` cases were also run against smg 1.13.0 with a stub API server (2026-11-26),
which started and sent them verbatim as ``labelSelector``:

- every parser splits a term on its first ``=``: ``a=b=c`` -> ``{"a": "b=c"}``, ``a=`` -> ``{"a": ""}``,
  ``=v`` -> ``{"": "v"}``, ``a=b,c=d`` -> ``{"a": "b,c=d"}`` (commas are not separators);
- a repeated key: the last term wins, everywhere;
- a term without ``=`` (``k``): both Python launchers and sglang main's Rust CLI skip it silently;
  smg's Rust CLI refuses it (smg 1.13.0 launcher docstring);
- whitespace inside one argv item: smg's launcher splits every item on any whitespace;
  sglang-router 0.3.2 splits only when the flag got exactly one item, and only on ``" "``
  (so ``"a=b c=d" e=f`` gives ``{"a": "b c=d", "e": "f"}`` there); sglang main's Rust CLI never splits;
- a repeated flag: smg extends (all terms count); sglang-router 0.3.2 keeps the last flag's values.

This module follows smg 1.13.0's launcher, the gateway the suite runs by default.

Decisions: (a) a term without ``=`` is rejected, because smg's Rust CLI refuses it (smg 1.13.0
launcher docstring: "A token without ``=`` is skipped here where the Rust CLI refuses it") and the
launchers' silent skip would make a scenario test a different selector than the one written;
(b) ``=v`` is accepted as ``{"": "v"}`` because every gateway accepts it at startup, and it matches no
pod since no label key is empty (``labels.label_value_problems`` reports it); (c) whitespace splitting
follows smg (any whitespace, every argv item); ``args`` is the list of values of one flag as smg
collects them (``extend``), so a repeated flag is passed as one concatenated list.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SelectorError", "parse_selector"]


class SelectorError(ValueError):
    """A selector argument the gateway refuses; the message is one line naming the bad term."""


def parse_selector(args: Iterable[str]) -> dict[str, str]:
    """The selector the gateway builds from the values of ``--selector`` (or a PD/router selector flag).

    Each argv item is split on whitespace into terms, each term is split on its first ``=`` into
    key and value, and a later term overrides an earlier one with the same key. See the module
    docstring for the table of corner cases and why each is decided the way it is.

    Raises ``SelectorError`` for a term without ``=`` (``"app"``), and for a bare string passed where
    a list of argv items is expected (a classic slip: ``parse_selector("a=b")``).
    """
    if isinstance(args, str):
        raise SelectorError(f"parse_selector takes a list of argv items, not the string {args!r}")
    selector: dict[str, str] = {}
    for item in args:
        for term in item.split():
            key, sep, value = term.partition("=")
            if not sep:
                raise SelectorError(
                    f"selector term {term!r} has no '='; write it as KEY=VALUE (e.g. {term}=VALUE)"
                )
            selector[key] = value
    return selector
