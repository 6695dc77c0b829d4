"""The conformance suite: declared tests, features and profiles, convergence helpers, the report, the CLI.

Layers (ARCHITECTURE.md): `features` and `registry` declare; `timeouts` bounds every wait; `convergence`
proves consistency and absence; `scenario` is what a test talks to; `plugin` wires pytest to the cluster
providers and gateway drivers; `report` writes the ConformanceReport; `suite/` holds the tests;
`python -m conformance` runs them. The suite reaches clusters and gateways only through
`fixtures.clusters` and `fixtures.gateways`, and every expectation comes from `reference`.
"""

from __future__ import annotations

HARNESS_VERSION = "0.1.0"
