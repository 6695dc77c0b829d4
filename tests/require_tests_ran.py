"""Fail a run in which no test executed.

pytest exits 5 when it collects nothing, but a run where every test was deselected or skipped still
exits 0; CI must not mistake that for a green build.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def executed_tests(junit_path: str) -> int:
    root = ET.parse(junit_path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - skipped


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.require_tests_ran JUNIT.xml", file=sys.stderr)
        return 2
    try:
        ran = executed_tests(argv[1])
    except (OSError, ET.ParseError) as exc:
        print(f"no test report at {argv[1]}: {exc}", file=sys.stderr)
        return 1
    if ran == 0:
        print("no test ran", file=sys.stderr)
        return 1
    print(f"{ran} tests executed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
