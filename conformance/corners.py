"""The corners a generator must reach: parse corners of the annotations, condition states, config shapes.

Why a module of its own: these are facts about the reference's decisions, stated as data, that the
Hypothesis strategies (conformance/strategies.py) draw from and that tests and the branch-coverage
measure (`python -m conformance.fuzz coverage`) check against. Each list names its source: the u16
parse in reference/pods.py (`parse_u16`), the readiness rule (`PodInfo.from_pod`), and the branches
of `discovery_selectors` / `inclusion_warning` / `misconfiguration_warnings` in reference/selection.py.
"""

from __future__ import annotations

from dataclasses import dataclass

# The bootstrap-port annotation is read as Rust's `str::parse::<u16>()` (reference.pods.parse_u16): an
# optional "+", ASCII digits, leading zeros allowed, at most 65535. Every documented corner of it:
BOOTSTRAP_ANNOTATION_UNUSUAL: tuple[str, ...] = (
    "+8998",  # a sign
    "08998",  # a leading zero
    "0000000000008998",  # many leading zeros (no overflow: the value decides)
    "+08998",
    "0",  # the lower bound: parses, but no worker can listen on it
    "+0",
    "65535",  # the upper bound
    "065535",
)
BOOTSTRAP_ANNOTATION_INVALID: tuple[str, ...] = (
    "abc",
    "70000",
    "-1",
    "",  # empty
    " 8998",  # whitespace is not trimmed
    "8998 ",
    "\t8998",
    "65536",  # one past the upper bound
    "99999999999999999999",
    "8_998",  # no digit separators
    "+",  # a sign alone
    "++8998",
    "-0",
    "0x22",  # no radix prefixes
    "8998.0",
    "\uff18\uff19\uff19\uff18",  # fullwidth digits: not ASCII
)
# The Ready condition(s) a cluster can hold besides one True or False: none, Unknown (a lost node),
# and duplicates in either order (reference/ reads "some Ready condition is True").
READY_CONDITIONS: tuple[tuple[str, ...], ...] = (
    (),
    ("Unknown",),
    ("False", "True"),
    ("True", "False"),
    ("Unknown", "True"),
    ("False", "False"),
)


@dataclass(frozen=True)
class ConfigShape:
    """One branch of the reference's decisions about a config: PD or not, IGW, --selector, PD selectors.

    ``igw`` None: drawn (it decides nothing outside PD mode). ``pd_empty``: both PD selectors empty.
    """

    name: str
    pd: bool
    igw: bool | None
    selector: bool
    pd_empty: bool = False

    def fits(self, pd_mode: bool | None, igw_mode: bool | None) -> bool:
        """Whether the shape can be drawn with PD / IGW pinned (None: not pinned)."""
        if pd_mode is not None and self.pd != pd_mode:
            return False
        return igw_mode is None or self.igw is None or self.igw == igw_mode


_REGULAR = ConfigShape("regular", pd=False, igw=None, selector=True)  # --selector: regular workers
_PD = ConfigShape("pd", pd=True, igw=False, selector=False)  # PD selectors only
_PD_IGW = ConfigShape("pd-igw-selector", pd=True, igw=True, selector=True)  # regular beside PD (#25294)
_PD_IGW_EMPTY = ConfigShape("pd-igw-empty-pd", pd=True, igw=True, selector=True, pd_empty=True)
# Repeating a shape weights it; shrinking goes towards the first. Every shape is at least 1 in 14, so a
# short run reaches each branch (PD + IGW + --selector with both PD selectors empty: 2 in 14).
CONFIG_SHAPES: tuple[ConfigShape, ...] = (
    _REGULAR,
    _REGULAR,
    ConfigShape("regular-no-selector", pd=False, igw=None, selector=False),  # REGULAR_SELECTOR_EMPTY
    _PD,
    _PD,
    ConfigShape("pd-selector-no-igw", pd=True, igw=False, selector=True),  # SELECTOR_IGNORED_WITHOUT_IGW
    _PD_IGW,
    _PD_IGW,
    _PD_IGW_EMPTY,  # regular only, no warning (#25294)
    _PD_IGW_EMPTY,
    ConfigShape("pd-igw-no-selector", pd=True, igw=True, selector=False),  # PD only
    # both PD selectors empty otherwise: PD_SELECTORS_EMPTY, nothing discovered (gateways may refuse)
    ConfigShape("pd-empty", pd=True, igw=False, selector=False, pd_empty=True),
    ConfigShape("pd-empty-selector-no-igw", pd=True, igw=False, selector=True, pd_empty=True),
    ConfigShape("pd-igw-empty-no-selector", pd=True, igw=True, selector=False, pd_empty=True),
)
