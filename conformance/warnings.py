"""The warnings the reference says a configuration produces, and how they are read from a gateway log.

ARCHITECTURE.md "warnings" profile: `warn_if_misconfigured`'s message (PR #25294: `--selector` in PD mode
without IGW) and the per-pod "both PD selectors empty" warning that `should_include` logs. The reference
logs both on the `reference` logger with upstream's exact text; this module collects them by running
the reference over the test's pods with a temporary handler. Gateway logs carry ANSI colour codes even
when not on a terminal (gateway-facts.md section 6): strip `\\x1b[...m` before searching.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from reference import ServiceDiscoveryConfig, should_include, warn_if_misconfigured

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """The text without ANSI colour codes."""
    return ANSI_RE.sub("", text)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def expected_warnings(config: ServiceDiscoveryConfig, pods: Iterable[Mapping[str, Any]]) -> list[str]:
    """warn_if_misconfigured(config), then every distinct should_include warning over `pods`, in order."""
    logger = logging.getLogger("reference")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        found = list(warn_if_misconfigured(config))
        for item in pods:
            should_include(item, config)
    finally:
        logger.removeHandler(handler)
    for message in handler.messages:
        if message not in found:
            found.append(message)
    return found
