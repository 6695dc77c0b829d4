"""The test registry: a conformance test is a declaration first (id, description, features), then a body.

Modelled on Gateway API's `ConformanceTest{ShortName, Description, Features, Test}` that appends itself to
a list (docs/conventions.md#declaring-tests). Here the declaration is a decorator
that records the test in REGISTRY and tags the function; the plugin adds a `conformance` pytest marker
(`-m conformance`) at collection, selects by profile, and reports by id.

Outcomes beyond pass/fail, as docs/architecture.md#how-a-test-runs asks:
- "not expressible: ..." -- the gateway lacks a feature the test needs, or its effective configuration
  differs from the requested one in a field the test relies on (smg's launcher forces IGW on,
  docs/gateways.md#igw-forced-on). Neither a pass nor a fail.
- "rejected config: <message>" -- the gateway exited at startup refusing a configuration the reference
  accepts. Counted as a failure, with its own label.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from conformance.features import Feature, profiles_of

MARKER = "conformance"


class Outcome(enum.StrEnum):
    """A conformance test's result, as the report spells it."""

    PASSED = "Passed"
    FAILED = "Failed"
    REJECTED_CONFIG = "RejectedConfig"
    NOT_EXPRESSIBLE = "NotExpressible"
    SKIPPED = "Skipped"

    @property
    def counts_as_failure(self) -> bool:
        return self in {Outcome.FAILED, Outcome.REJECTED_CONFIG}


class NotExpressible(pytest.skip.Exception):  # type: ignore[name-defined,misc]  # pytest's Skipped
    """The test's premise cannot be expressed with this gateway (reported as NotExpressible)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not expressible: {reason}", allow_module_level=False)


class RejectedConfig(AssertionError):
    """The gateway refused at startup a configuration the reference accepts (reported as a failure)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"rejected config: {message}")


@dataclass(frozen=True)
class ConformanceTest:
    """The declaration of one behaviour."""

    id: str
    description: str
    features: tuple[Feature, ...]
    relies_on: tuple[str, ...] = ()
    """Config fields the premise needs beyond the default set (see conformance.premise)."""

    @property
    def profiles(self) -> list[str]:
        return profiles_of(self.features)


REGISTRY: dict[str, ConformanceTest] = {}

F = TypeVar("F", bound=Callable[..., Any])


def conformance_test(
    *, id: str, description: str, features: Iterable[Feature], relies_on: Iterable[str] = ()
) -> Callable[[F], F]:
    """Declare a conformance test: register it and mark the function for the plugin.

    Ids are unique (a second declaration with the same id is a programming error) and must belong to
    at least one profile.
    """
    decl = ConformanceTest(id, description, tuple(features), tuple(relies_on))
    if not decl.features:
        raise ValueError(f"conformance test {id!r} declares no features")
    if not decl.profiles:
        raise ValueError(f"conformance test {id!r} has features in no profile")

    def decorate(func: F) -> F:
        existing = REGISTRY.get(id)
        if existing is not None and existing != decl:
            raise ValueError(f"conformance test id {id!r} declared twice")
        REGISTRY[id] = decl
        func.__doc__ = func.__doc__ or description
        # The plugin turns this into a `conformance` marker at collection, where the marker is registered
        # (marking here would trip --strict-markers in runs without the plugin).
        func.__conformance__ = decl  # type: ignore[attr-defined]
        return func

    return decorate


def declaration_of(item: pytest.Item) -> ConformanceTest | None:
    """The declaration carried by a collected test item, if it is a conformance test."""
    marker = item.get_closest_marker(MARKER)
    decl = marker.args[0] if marker is not None and marker.args else None
    if decl is None:
        decl = getattr(getattr(item, "obj", None), "__conformance__", None)
    return decl if isinstance(decl, ConformanceTest) else None
