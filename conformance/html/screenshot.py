"""`python -m conformance.html.screenshot PAGE.html OUT.png`: render a report page in headless Chromium.

Why: the HTML report is for people; this proves it opens in a real browser and leaves a picture to
look at (`tox -e report-browser`). Chromium is Debian's package (`apt-get install chromium`), found on
PATH as chromium / chromium-browser / google-chrome, or named by $CHROMIUM. One line and exit 2 when
there is none; the browser runs with a fresh profile in a temporary directory and a time limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance import exit_status
from conformance.validate import OneLineParser

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 120
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def find_browser() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def screenshot(browser: str, page: Path, out: Path, *, width: int, height: int) -> None:
    """A PNG of the top `height` pixels of `page`; RuntimeError (one line) when none was written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        argv = [
            browser,
            "--headless=new",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={out.resolve()}",
            page.resolve().as_uri(),
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    if not out.is_file() or not out.read_bytes().startswith(PNG_MAGIC):
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        raise RuntimeError(
            f"{browser} wrote no screenshot (exit {proc.returncode}): {lines[-1] if lines else ''}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m conformance.html.screenshot", description=__doc__)
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args(argv)
    if not args.page.is_file():
        print(f"{parser.prog}: error: {args.page} does not exist", file=sys.stderr)
        return exit_status.USAGE
    browser = find_browser()
    if browser is None:
        print(
            f"{parser.prog}: error: no Chromium found (apt-get install chromium, or set $CHROMIUM)",
            file=sys.stderr,
        )
        return exit_status.USAGE
    try:
        screenshot(browser, args.page, args.out, width=args.width, height=args.height)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return exit_status.FAILED
    print(f"screenshot: {args.out} ({args.out.stat().st_size} bytes, {browser})")
    return exit_status.PASSED


if __name__ == "__main__":
    sys.exit(main())
