"""The object a conformance test talks to: cluster state as a table, one gateway, prose assertions.

docs/conventions.md ("Gateway API conformance"): a reader should see the scenario table, not the
plumbing. A test creates pods from a table (`pod(name, labels, expect=...)`), starts the gateway with
a discovery config, and asserts with `must_converge()` / `must_never_show(..., barrier=...)` /
`must_log(...)`. The parts, each with one job:

- table.py: a row is a pod (fixtures.clusters.PodSpec, the one pod description) plus the `expect=`
  the test states, checked against the reference (SuiteTableError when they disagree);
- cluster_side.py: the namespaces and pods, the changes a test makes, naming pods (gone ones too);
- gateway_side.py: starting the gateway (rejected config, not expressible), reading it, stopping it,
  fault injection;
- checks.py: the assertions, on the one wait primitive, with evidence and a timeline;
- scenario.py: `Scenario`, which puts them together.

Expectations always come from `reference.expected_pools` over the pods as the API server holds them,
for the config the test asked for (docs/architecture.md#lines-that-must-hold); the evidence of every
check (conformance.evidence) is what the plugin writes into the report.
"""

from conformance.scenario.scenario import Scenario
from conformance.scenario.table import ABSENT, TABLE_SEMANTICS, Row, SuiteTableError, pod

__all__ = ["ABSENT", "TABLE_SEMANTICS", "Row", "Scenario", "SuiteTableError", "pod"]
