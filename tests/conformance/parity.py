"""`python -m tests.conformance.parity` (`tox -e parity`): the full-suite parity run.

The suite on `--cluster embedded` (gateway a local process) and on `--cluster existing` against an
embedded API server started separately and given only by its kubeconfig (gateway in the cluster: a
Deployment whose image is mapped to a local command, RBAC enforced, `/workers` through `pods/proxy`), for
the reference gateway and smg 1.13.0, every profile but resilience (it needs fault injection, which
`existing` does not have: there it is Skipped) and scale. Prints per gateway the test ids whose outcomes
differ and exits 0 only when there are none. Tests the existing cluster declares it cannot run (a Running
pod without an IP: no real kubelet makes one) are listed apart, not counted as differences.
tests/conformance/test_cluster_parity.py runs a small selection of the same in the default `tox`;
docs/clusters.md#proven-here has the last result.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILES = ("core", "pd", "igw-mixed", "warnings", "lifecycle", "overlap")


class ApiServer:
    """`python -m fixtures.apiserver` as someone else's cluster: fake workers, the reference gateway's and
    smg's images mapped to local commands, RBAC enforced. Its own process group, stopped by its PID."""

    def __init__(self, workdir: Path) -> None:
        self.kubeconfig = workdir / "someone-elses-cluster.yaml"
        self.log = workdir / "apiserver.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        from fixtures.gateways.install import SMG, ensure_installed, venv_python
        from fixtures.gateways.reference import ReferenceDriver
        from fixtures.gateways.smg import SmgDriver
        from reference import ServiceDiscoveryConfig

        smg_python = venv_python(ensure_installed(SMG))
        reference_image = ReferenceDriver().container(ServiceDiscoveryConfig(enabled=True)).image
        return [
            sys.executable, "-m", "fixtures.apiserver", "--port", "0", "--kubeconfig", str(self.kubeconfig),
            "--run-fake-workers", "--pod-ip-start", "random", "--authorization", "rbac",
            "--image", f"{reference_image}={sys.executable} -m fixtures.gateways.reference_gateway",
            "--image", f"{SmgDriver.image}={smg_python} -m smg.launch_router",
        ]  # fmt: skip

    def start(self, timeout: float = 60.0) -> ApiServer:
        from fixtures.lifetime import die_with_parent

        argv = self.argv()
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(  # its own group (stopped by PID), dies with us (PDEATHSIG)
                argv,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        deadline = time.monotonic() + timeout
        while "listening on" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the API server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


#: Outcome messages that name what a real cluster cannot do (declared by the cluster, not a divergence).
CLUSTER_LIMITS = ("a real kubelet", "fault injection")


def differences(embedded: Mapping[str, str], existing: Mapping[str, str]) -> list[str]:
    """`id: embedded X, existing Y` for every test id whose outcomes differ (or ran on one side only)."""
    return [
        f"{test_id}: embedded {embedded.get(test_id, 'not run')}, existing {existing.get(test_id, 'not run')}"
        for test_id in sorted(set(embedded) | set(existing))
        if embedded.get(test_id) != existing.get(test_id)
    ]


def declared(test: Mapping[str, str]) -> bool:
    """The existing cluster declared it cannot run this test (Skipped / NotExpressible, naming why)."""
    message = str(test.get("message", ""))
    return test.get("outcome") in ("Skipped", "NotExpressible") and any(m in message for m in CLUSTER_LIMITS)


def main(argv: list[str] | None = None) -> int:
    from conformance.report import load_report

    parser = argparse.ArgumentParser(prog="python -m tests.conformance.parity", description=__doc__)
    parser.add_argument("--gateway", action="append", default=[], help="default: reference and smg")
    parser.add_argument("--out-dir", type=Path, default=None, help="reports go here (default: a temp dir)")
    parser.add_argument("--profile", action="append", default=[], help=f"default: {', '.join(PROFILES)}")
    args = parser.parse_args(argv)
    gateways = args.gateway or ["reference", "smg"]
    out = args.out_dir or Path(tempfile.mkdtemp(prefix="parity-"))
    out.mkdir(parents=True, exist_ok=True)
    server = ApiServer(out).start()
    selection = [item for p in args.profile or PROFILES for item in ("--profile", p)]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        clusters = {
            "embedded": ["--cluster", "embedded"],
            "existing": ["--cluster", "existing", "--kubeconfig", str(server.kubeconfig)],
        }
        for name, cluster in clusters.items():  # side by side: both mostly wait on gateways
            cmd = [
                sys.executable,
                "-m",
                "conformance",
                "matrix",
                *selection,
                *cluster,
                "--out-dir",
                str(out / name),
            ]
            cmd += [item for gateway in gateways for item in ("--gateway", gateway)]
            print(f"parity: {name}: {' '.join(cmd)}", flush=True)
            procs[name] = subprocess.Popen(cmd, cwd=REPO)
        for proc in procs.values():
            proc.wait()
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        server.stop()
    status = 0
    for gateway in gateways:
        reports = {name: out / name / f"{gateway}.yaml" for name in clusters}
        if not all(path.exists() for path in reports.values()):
            print(f"parity: {gateway}: a report is missing ({', '.join(map(str, reports.values()))})")
            status = 1
            continue
        tests = {name: {t["id"]: t for t in load_report(p)["tests"]} for name, p in reports.items()}
        limits = {tid for tid, test in tests["existing"].items() if declared(test)}
        outcome = {
            name: {tid: t["outcome"] for tid, t in by_id.items() if tid not in limits}
            for name, by_id in tests.items()
        }
        diffs = differences(outcome["embedded"], outcome["existing"])
        counts = dict(Counter(t["outcome"] for t in tests["existing"].values()))
        print(
            f"parity: {gateway}: {len(tests['existing'])} tests on existing ({counts}); "
            f"declared by the cluster: {', '.join(sorted(limits)) or 'none'}; {len(diffs)} differ"
        )
        for line in diffs:
            print(f"  {line}")
        status = status or (1 if diffs else 0)
    print(f"parity: reports in {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
