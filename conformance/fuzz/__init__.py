"""Live fuzzing of gateways against the reference: differential and stateful (issues 6, 11 and 13).

Why this exists: hand-written scenarios only cover the cases someone thought of. Modules:
`plans` (steps over the one pod description: the vocabulary), `scenario` (a case and its replayable
YAML), `differential` (a config and a pod batch per case), `stateful` (programs of lifecycle moves,
`--pace settle|fast`), `slot` (one embedded cluster and its gateways on the suite's core: runs a
case), `check` (one verdict, absence proven by a barrier pod), `timing` (the check's bounds from the
driver's GatewayTiming), `pool` (slots side by side, the stoppable clock), `engine` (the one loop:
draw rounds, cache verdicts, report, shrink), `shrink`, `reporting` (progress, the first difference at
once, each shrinking step), `options`, `run` (`tox -e fuzz`), `replay`, `coverage` (branch coverage of
reference/ by the generators), `profiles` (Hypothesis `ci` and `fuzz`).
"""
