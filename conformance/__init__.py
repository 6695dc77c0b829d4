"""The conformance suite: declared tests, features and profiles, convergence helpers, the report, the CLI.

Layers (docs/architecture.md#parts): `features` and `registry` declare; `timeouts` bounds every wait;
`contracts` says what the suite uses of a cluster and a gateway; `convergence` (on the one wait
primitive, fixtures/waiting.py) proves consistency and absence, `differences` names what differs;
`scenario/` is what a test talks to (and what the fuzz runs on); `evidence` is what a test leaves for
its report; `plugin` wires pytest to the cluster providers and gateway drivers; `report` writes the
ConformanceReport; `suite/` holds the tests; `python -m conformance` runs them. The suite reaches
clusters and gateways only through `fixtures.clusters` and `fixtures.gateways`, and every expectation
comes from `reference`.
"""

from __future__ import annotations

HARNESS_VERSION = "0.1.0"
