"""`python -m tests.bench [NAME ...]`: run the registered benchmarks and print a table of figures.

Why: one entry point for tox's `bench` env; with names, only those benchmarks run (`--list` shows them).
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.bench import Figure, load_all


def format_value(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def render(name: str, figures: list[Figure], seconds: float) -> str:
    rows = [("metric", "value", "unit", "target", "met", "note")]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.metric, format_value(f.value), f.unit, f.target, met, f.note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"== {name} ({seconds:.1f} s)"]
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    registry = load_all()
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(registry)})")
    parser.add_argument("--list", action="store_true", help="print the benchmark names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(registry))
        return 0
    unknown = [n for n in args.names if n not in registry]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(registry)}", file=sys.stderr)
        return 2
    for name in args.names or list(registry):
        t0 = time.monotonic()
        figures = registry[name]()
        print(render(name, figures, time.monotonic() - t0), flush=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
