"""The reference gateway's image holds every repository module the gateway imports when it runs.

Why: the image copies only part of the repo (docker/reference-gateway.Dockerfile), and the gateway
imports its pod watcher lazily, when discovery starts -- a module missing from the image would not fail
the build, it would make the gateway in the cluster run without discovery ("Continuing without service
discovery"), which no unit test here would notice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "reference-gateway.Dockerfile"

# Starts discovery (which imports everything it needs, then fails on the missing kubeconfig and
# returns), then lists the repo's modules that are loaded.
PROBE = """
import json, os, sys
os.environ["KUBECONFIG"] = "/nonexistent/kubeconfig"
os.environ.pop("KUBERNETES_SERVICE_HOST", None)
from fixtures.gateways.reference_gateway import __main__ as gateway
from fixtures.gateways.reference_gateway.pools import PoolsKeeper
from reference import ServiceDiscoveryConfig
config = ServiceDiscoveryConfig(selector={"app": "x"})
gateway._start_discovery(config, PoolsKeeper(config))
root = os.getcwd() + os.sep
print(json.dumps(sorted(
    os.path.relpath(m.__file__, root) for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and m.__file__.startswith(root)
    and not os.path.relpath(m.__file__, root).startswith(".")  # .tox/, .gateways/: installed, not ours
)))
"""


def copied_paths(dockerfile: Path) -> list[str]:
    """The sources of every COPY line (files, and directories ending in '/')."""
    out: list[str] = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"]:
            out += [w for w in words[1:-1] if not w.startswith("--")]
    return out


def test_every_module_the_reference_gateway_imports_is_in_its_image() -> None:
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
    )
    assert "fixtures/clusters/coreapi.py" in loaded  # the probe did reach the watcher's imports
    copied = copied_paths(DOCKERFILE)
    missing = [
        path
        for path in loaded
        if not any(path == src or (src.endswith("/") and path.startswith(src)) for src in copied)
    ]
    assert missing == []
