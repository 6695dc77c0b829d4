"""Live fuzzing of gateways against the reference: differential and stateful (issue 6).

Why this exists: hand-written scenarios only cover the cases someone thought of. Modules:
`plans` (pod plans and steps: the vocabulary), `live` (one embedded cluster and a reusable gateway,
the settle check), `differential` (a config and a pod batch per example), `stateful` (a
RuleBasedStateMachine of pod lifecycle steps), `scenario` (replayable YAML), `replay` (rerun a file),
`profiles` (Hypothesis `ci` and `fuzz`), `run` (the `tox -e fuzz` entry point).
"""
