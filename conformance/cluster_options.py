"""The suite's side of the cluster options: check them, build the provider and place the gateway.

Why a module of its own: the options themselves are declared once in fixtures/clusters/options.py
(shared with the harness's own tests); what the *suite* adds is small and lives here, so the CLI and
the pytest plugin only call it (docs/clusters.md):

- `check(opt, gateway)`: the options and their combination, and that the gateway can be placed where
  asked (an in-cluster gateway needs a container description and an image) -- one-line UsageError;
- `gateway_driver(name, options)`: the driver, wrapped in `InClusterDriver` for the in-cluster
  placement (default on kind and existing);
- `provider(options, driver)`: the started cluster (kind also loads the gateway's image);
- `skip_reason(decl, provider)`: what this cluster cannot do is declared, not failed -- the
  resilience profile needs fault injection, which only the embedded cluster has.
"""

from __future__ import annotations

from typing import Any

from conformance.features import PROFILES
from conformance.registry import ConformanceTest
from conformance.validate import UsageError, one_line
from fixtures.clusters.errors import ProviderError
from fixtures.clusters.options import ClusterOptions

#: Features whose tests inject faults into the API server (the resilience profile).
FAULT_FEATURES = PROFILES["resilience"].features


def check(opt: Any, gateways: list[str] | tuple[str, ...] = ()) -> ClusterOptions:
    """The cluster options of `opt` (argparse or pytest), checked; UsageError with one line."""
    options = ClusterOptions.from_namespace(opt)
    try:
        options.check()
    except ProviderError as exc:
        raise UsageError(str(exc)) from None
    if options.gateway_image and len(gateways) > 1:
        raise UsageError("--gateway-image names one gateway's image; a matrix runs each gateway from its own")
    for gateway in gateways:
        try:
            gateway_driver(gateway, options)
        except Exception as exc:
            raise UsageError(one_line(exc) or f"gateway {gateway} cannot be placed in the cluster") from None
    return options


def gateway_driver(name: str, options: ClusterOptions) -> Any:
    """The gateway's driver; for the in-cluster placement, run as a Deployment of its image."""
    from fixtures.gateways import get_driver

    driver = get_driver(name)
    if options.placement != "in-cluster":
        return driver
    from fixtures.gateways.incluster import InClusterDriver

    return InClusterDriver(driver, image=options.gateway_image)


def provider(options: ClusterOptions, driver: Any) -> Any:
    """The cluster provider, started; kind loads the in-cluster gateway's image into its node."""
    from fixtures.clusters import get_provider

    image = getattr(driver, "image", None) if options.placement == "in-cluster" else None
    started = get_provider(options.cluster, **options.provider_kwargs(load_images=(image,) if image else ()))
    return started.start()


def skip_reason(decl: ConformanceTest | None, provider_: Any) -> str | None:
    """Why this test cannot run on this cluster (Skipped, not failed), or None."""
    if decl is None or hasattr(provider_, "faults"):
        return None
    needs = sorted(str(f) for f in decl.features if f in FAULT_FEATURES)
    if not needs:
        return None
    return (
        f"needs fault injection ({', '.join(needs)}), which only the embedded cluster offers "
        f"(this run: {getattr(provider_, 'name', '?')})"
    )
