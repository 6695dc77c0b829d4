"""CoreApi (fixtures/clusters/coreapi.py): the harness's core/v1 calls without `CoreV1Api`'s import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_harness_and_the_reference_gateway_never_import_core_v1_api() -> None:
    # Why CoreApi exists: importing CoreV1Api costs every process that touches a cluster ~0.5 CPU-s.
    probe = (
        "import sys, fixtures.clusters.namespace, fixtures.clusters.preflight, "
        "fixtures.gateways.reference_gateway.watcher; "
        "print(sorted(m for m in sys.modules if m.startswith('kubernetes.client.api.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
