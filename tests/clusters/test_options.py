"""The one set of cluster options (fixtures/clusters/options.py): parsed the same by the CLI and pytest,
checked in one place, passed on to a child run unchanged, and declared limits of a cluster.

Why: `--cluster` and `--cluster-provider` used to be two spellings with two sets of defaults; a matrix
child that lost an option (say `--kubeconfig`) would silently run on another cluster. Bad values and
combinations are one line naming the option, before anything starts (docs/clusters.md#options-one-set).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.clusters.errors import ProviderError
from fixtures.clusters.options import ClusterOptions, add_argparse_options

REPO = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> ClusterOptions:
    parser = argparse.ArgumentParser()
    add_argparse_options(parser)
    return ClusterOptions.from_namespace(parser.parse_args(list(argv)))


def test_defaults_place_the_gateway_by_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SGL_CONFORMANCE_CLUSTER", raising=False)
    assert (parse().cluster, parse().placement) == ("embedded", "local")
    assert parse("--cluster", "kind").placement == "in-cluster"
    assert parse("--cluster", "existing").placement == "in-cluster"
    assert parse("--cluster", "existing", "--gateway-placement", "local").placement == "local"
    monkeypatch.setenv("SGL_CONFORMANCE_CLUSTER", "kind")
    assert parse().cluster == "kind"


@pytest.mark.parametrize(
    "argv",
    [
        ("--cluster", "existing", "--kubeconfig", "KC", "--context", "ctx", "--gateway-image", "me/gw:1"),
        (
            "--cluster",
            "kind",
            "--cluster-name",
            "c",
            "--kind-image",
            "node:1",
            "--keep-cluster",
            "--worker-image",
            "w",
        ),
        ("--cluster", "embedded", "--keep-cluster-resources"),
        ("--cluster", "existing", "--kubeconfig", "KC", "--gateway-placement", "local"),
    ],
)
def test_a_child_run_gets_exactly_the_options_given(argv: tuple[str, ...]) -> None:
    options = parse(*argv)
    assert parse(*options.argv()) == options
    assert sorted(options.argv()) == sorted(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--cluster", "minikube"), "unknown cluster 'minikube'; choose one of embedded, kind, existing"),
        (
            ("--gateway-placement", "remote"),
            "unknown --gateway-placement 'remote'; choose one of local, in-cluster",
        ),
        (("--context", "c"), "--context applies to --cluster existing, not embedded"),
        (
            ("--cluster", "existing", "--keep-cluster"),
            "--keep-cluster applies to --cluster kind, not existing",
        ),
        (("--worker-image", "w"), "--worker-image applies to --cluster kind or existing, not embedded"),
        (
            (
                "--gateway-placement",
                "in-cluster",
            ),
            "--gateway-placement in-cluster needs --cluster kind or existing",
        ),
        (
            ("--cluster", "kind", "--gateway-placement", "local", "--gateway-image", "x"),
            "--gateway-image needs",
        ),
        (
            ("--cluster", "existing", "--kubeconfig", "/nonexistent/kc"),
            "kubeconfig /nonexistent/kc does not exist",
        ),
    ],
)
def test_bad_values_and_combinations_are_one_line(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(ProviderError) as info:
        parse(*argv).check()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_existing_checks_the_context_in_the_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    kubeconfig.write_text("contexts: [{name: a}]\ncurrent-context: a\n")
    parse("--cluster", "existing", "--kubeconfig", str(kubeconfig)).check()
    with pytest.raises(ProviderError, match="has no context 'b'; it has: a"):
        parse("--cluster", "existing", "--kubeconfig", str(kubeconfig), "--context", "b").check()


def test_provider_options_follow_the_cluster() -> None:
    kind = parse("--cluster", "kind", "--cluster-name", "c", "--keep-cluster")
    kwargs = kind.provider_kwargs(load_images=("me/gw:1",))
    assert (kwargs["cluster_name"], kwargs["keep_cluster"], kwargs["load_images"]) == ("c", True, ["me/gw:1"])
    existing = parse("--cluster", "existing", "--kubeconfig", "KC", "--context", "x").provider_kwargs()
    assert (existing["kubeconfig"], existing["context"]) == ("KC", "x")
    assert parse().provider_kwargs() == {"keep_resources": False}


def test_pytest_kind_ng_default_cluster_name_counts_as_not_given() -> None:
    """pytest-kind-ng registers --cluster-name with the default "pytest-kind"; that is not a user's choice
    (else every embedded run would be refused for a kind option)."""
    options = ClusterOptions.from_namespace(
        argparse.Namespace(cluster="embedded", cluster_name="pytest-kind")
    )
    assert options.cluster_name is None
    options.check()


def test_the_harness_tests_take_the_same_options() -> None:
    """`pytest --cluster ...` (the harness's own tests) refuses a bad cluster as the suite does."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/clusters/test_registry.py",
            "--cluster",
            "minikube",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "unknown cluster 'minikube'; choose one of embedded, kind, existing" in proc.stderr
    assert "--cluster-provider" not in proc.stdout + proc.stderr
