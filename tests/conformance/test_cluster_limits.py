"""What a cluster cannot do is declared, not failed (conformance/cluster_options.py, docs/clusters.md).

The resilience profile injects faults into the API server; only the embedded provider offers that
(`faults()`). On kind and existing clusters its tests are Skipped with the reason, before a gateway is
started; every other test runs.
"""

from __future__ import annotations

from conformance.cluster_options import skip_reason
from conformance.registry import REGISTRY
from tests.conformance.test_registry import _load_suite


class _Embedded:
    name = "embedded"

    def faults(self) -> None: ...


class _Existing:
    name = "existing"


def test_resilience_is_skipped_with_the_reason_off_embedded() -> None:
    _load_suite()
    resilience = [d for d in REGISTRY.values() if "resilience" in d.profiles]
    others = [d for d in REGISTRY.values() if "resilience" not in d.profiles]
    assert resilience and others
    for decl in resilience:
        reason = skip_reason(decl, _Existing())
        assert reason is not None and "only the embedded cluster offers" in reason, decl.id
        assert "(this run: existing)" in reason
        assert skip_reason(decl, _Embedded()) is None
    assert [d.id for d in others if skip_reason(d, _Existing())] == []
