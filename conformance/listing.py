"""`python -m conformance list`: every conformance test id with its profiles, features and description.

Why: a report names tests by id (`lifecycle-unready`); a developer who wants to rerun one needs the ids
(`--test ID`, `-k ID`) and which profile each belongs to, without reading the suite. The list comes from
the registry (conformance/registry.py), filled by importing the suite's modules -- nothing is started.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from conformance import exit_status
from conformance.features import UnknownProfile, resolve_profiles, selected_by
from conformance.registry import REGISTRY, ConformanceTest
from conformance.validate import OneLineParser

SUITE = Path(__file__).resolve().parent / "suite"


def declared_tests() -> list[ConformanceTest]:
    """Every declared test, in the suite's order (module by module, as written)."""
    for module in sorted(SUITE.glob("test_*.py")):
        importlib.import_module(f"conformance.suite.{module.stem}")
    return list(REGISTRY.values())


def render_text(tests: Sequence[ConformanceTest]) -> str:
    """One block per test: id and profiles, then features and the description, indented."""
    lines = []
    for t in tests:
        lines.append(f"{t.id}  [{', '.join(t.profiles)}]")
        lines.append(f"    features: {', '.join(str(f) for f in t.features)}")
        lines.append(f"    {t.description}")
    lines.append(f"{len(tests)} tests")
    return "\n".join(lines)


def render_yaml(tests: Sequence[ConformanceTest]) -> str:
    data = [
        {
            "id": t.id,
            "profiles": t.profiles,
            "features": [str(f) for f in t.features],
            "description": t.description,
        }
        for t in tests
    ]
    return yaml.safe_dump(data, sort_keys=False, width=110)


def main(argv: Sequence[str]) -> int:
    parser = OneLineParser(
        prog="python -m conformance list",
        description="List the conformance tests: id, profiles, features, description.",
    )
    parser.add_argument("--profile", action="append", default=[], help="only tests these profiles select")
    parser.add_argument("--format", choices=("text", "yaml", "ids"), default="text")
    args = parser.parse_args(argv)
    tests = declared_tests()
    if args.profile:
        try:
            profiles = resolve_profiles(args.profile)
        except UnknownProfile as exc:
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
            return exit_status.USAGE
        tests = [t for t in tests if selected_by(t.features, profiles)]
    if args.format == "yaml":
        print(render_yaml(tests), end="")
    elif args.format == "ids":
        print("\n".join(t.id for t in tests))
    else:
        print(render_text(tests))
    return exit_status.PASSED
