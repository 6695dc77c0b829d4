"""`python -m conformance.html REPORT.yaml OUT.html`: the HTML page of a report written earlier."""

from __future__ import annotations

import sys

from conformance import exit_status
from conformance.html import write_html
from conformance.report import load_report
from conformance.validate import OneLineParser, UsageError, check_output_file, one_line

parser = OneLineParser(prog="python -m conformance.html", description=__doc__)
parser.add_argument("report", help="a ConformanceReport YAML")
parser.add_argument("out", help="the HTML file to write")
args = parser.parse_args()
try:
    check_output_file(args.out, "OUT")
    try:
        data = load_report(args.report)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{args.report}: {one_line(exc)}") from None
except UsageError as exc:
    print(f"{parser.prog}: error: {exc}", file=sys.stderr)
    sys.exit(exit_status.USAGE)
print(write_html(data, args.out))
