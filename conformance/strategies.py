"""Hypothesis strategies for discovery configurations and the pods that probe them.

Why this exists: random labels almost never hit a selector, so a generator that knows nothing of the
configuration only ever tests "nothing matches". Here the pods' labels are *derived from the
configuration's selectors* (exact hits, supersets, one value changed, one key dropped, two selectors
merged, unrelated noise), from small alphabets so that collisions happen, which puts the examples on
the boundaries that decide a verdict (docs/conventions.md#labels-from-selectors; issue 2). The same strategies
feed the reference's property tests and, later, live fuzzing against a gateway, so every pod is a complete
Kubernetes JSON object (camelCase, ``metadata.uid``, ``spec.containers``) that an API server accepts,
and one generated batch has unique names and unique loopback IPs ``127.0.0.N`` (N >= 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance.corners import (
    BOOTSTRAP_ANNOTATION_INVALID,
    BOOTSTRAP_ANNOTATION_UNUSUAL,
    CONFIG_SHAPES,
    READY_CONDITIONS,
    ConfigShape,
)
from reference import ServiceDiscoveryConfig

__all__ = [
    "BOOTSTRAP_ANNOTATION_INVALID",
    "BOOTSTRAP_ANNOTATION_UNUSUAL",
    "CONFIG_SHAPES",
    "DELETION_TIMESTAMP",
    "LABEL_KEYS",
    "LABEL_VALUES",
    "LIVE_PHASES",
    "OTHER_NAMESPACE",
    "READY_CONDITIONS",
    "RECIPE_KINDS",
    "ConfigShape",
    "LabelRecipe",
    "bootstrap_annotations",
    "configs_and_pods",
    "derived_labels",
    "discovery_configs",
    "label_keys",
    "label_recipes",
    "label_values",
    "make_pod",
    "pods_for",
    "selector_sources",
    "selectors",
]

LABEL_KEYS: tuple[str, ...] = ("app", "component", "role", "model", "sglang.ai/role")
LABEL_VALUES: tuple[str, ...] = ("sglang", "prefill", "decode", "regular", "a", "b")
DELETION_TIMESTAMP = "2026-01-01T00:00:00Z"
OTHER_NAMESPACE = "ns-other"
PHASES: tuple[str | None, ...] = ("Running", "Pending", "Failed", "Unknown", None)  # None: no phase
# At most one defect per pod, "none" most often, so that the labels are usually what decides.
DEFECTS: tuple[str, ...] = (
    *("none",) * 7,
    "no-ip",
    "not-ready",
    "no-conditions",
    "conditions",
    "phase",
    "terminating",
    "no-status",
)
MAX_PODS = 200  # 127.0.0.2 .. 127.0.0.201
# What a live cluster can hold (fixtures.clusters.PodSpec): every pod has a status and a phase, which
# is one a cluster writes; "terminating" is a graceful delete in progress.
LIVE_PHASES: tuple[str, ...] = ("Pending", "Failed", "Succeeded", "Unknown")
LIVE_DEFECTS: tuple[str, ...] = (*("none",) * 7, "no-ip", "not-ready", "conditions", "phase", "terminating")
RECIPE_KINDS: tuple[str, ...] = ("exact", "superset", "changed", "dropped", "merged", "noise")


def label_keys() -> st.SearchStrategy[str]:
    """Valid label keys, mostly from a tiny fixed set (so pods and selectors share keys)."""
    return st.one_of(
        st.sampled_from(LABEL_KEYS),
        st.from_regex(r"(x\.io/)?[a-c]{1,2}", fullmatch=True),
    )


def label_values() -> st.SearchStrategy[str]:
    """Valid label values (including the empty value), mostly from a tiny fixed set."""
    return st.one_of(
        st.sampled_from(LABEL_VALUES),
        st.just(""),
        st.from_regex(r"[a-c]([a-c0-9._-]{0,3}[a-c0-9])?", fullmatch=True),
    )


def selectors(*, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Equality selectors ``{key: value}`` with valid keys and values."""
    return st.dictionaries(label_keys(), label_values(), min_size=min_size, max_size=max_size)


PD_SHAPES = ("disjoint", "same", "decode-subset", "prefill-subset", "prefill-only", "decode-only")


@st.composite
def _pd_selectors(draw: st.DrawFn, *, empty: bool | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Prefill/decode selector pairs in the shapes that matter, overlapping ones included.

    ``empty``: True gives both empty, False never both, None either.
    """
    if empty:
        return {}, {}
    base = draw(selectors(min_size=0, max_size=2))
    role_key = draw(st.sampled_from(("component", "role")))
    prefill = {**base, role_key: "prefill"}
    decode = {**base, role_key: "decode"}
    shape = draw(st.sampled_from(PD_SHAPES if empty is False else (*PD_SHAPES, "both-empty")))
    if shape == "same":  # every prefill pod also matches decode: precedence decides
        decode = dict(prefill)
    elif shape == "decode-subset":  # decode matches every prefill pod
        decode = dict(base) or {role_key: "prefill"}
    elif shape == "prefill-subset":  # prefill matches every decode pod
        prefill = dict(base) or {role_key: "decode"}
    elif shape == "prefill-only":
        decode = {}
    elif shape == "decode-only":
        prefill = {}
    elif shape == "both-empty":
        prefill, decode = {}, {}
    return prefill, decode


@st.composite
def discovery_configs(
    draw: st.DrawFn,
    *,
    pd_mode: bool | None = None,
    igw_mode: bool | None = None,
    namespaces: Sequence[str | None] = (None, "default"),
) -> ServiceDiscoveryConfig:
    """Configurations in every shape the reference decides on (CONFIG_SHAPES, weighted so that each is
    reached in a short run): regular, PD, PD + IGW, with and without --selector, empty and overlapping
    PD selectors.

    ``pd_mode``/``igw_mode`` pin a mode (``None`` draws it). Outside PD mode the PD selectors are still
    sometimes set, as noise that must not matter; so, rarely, is the router selector (HA mesh), which
    decides nothing about pools.
    """
    shape = draw(st.sampled_from([s for s in CONFIG_SHAPES if s.fits(pd_mode, igw_mode)]))
    pd = shape.pd
    igw = shape.igw if shape.igw is not None else draw(st.booleans()) if igw_mode is None else igw_mode
    selector = draw(selectors(min_size=1)) if shape.selector else {}
    if pd:
        prefill, decode = draw(_pd_selectors(empty=shape.pd_empty))
    else:
        prefill, decode = draw(st.one_of(st.just(({}, {})), st.tuples(selectors(), selectors())))
    router = draw(st.sampled_from(({},) * 7 + ({"app": "router"},)))
    return ServiceDiscoveryConfig(
        enabled=True,
        selector=selector,
        port=draw(st.sampled_from((8000, 18000, 80))),
        namespace=draw(st.sampled_from(tuple(namespaces))),
        pd_mode=pd,
        prefill_selector=prefill,
        decode_selector=decode,
        router_selector=router,
        igw_mode=igw,
    )


def selector_sources(config: ServiceDiscoveryConfig) -> list[dict[str, str]]:
    """The config's non-empty selectors (regular, prefill, decode, router), which labels aim at."""
    return _sources(config)


def _sources(config: ServiceDiscoveryConfig) -> list[dict[str, str]]:
    candidates = (config.selector, config.prefill_selector, config.decode_selector, config.router_selector)
    return [dict(selector) for selector in candidates if selector]


@st.composite
def derived_labels(draw: st.DrawFn, sources: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Labels near one of ``sources`` (the config's selectors): a hit, a superset or a near miss."""
    noise = selectors(max_size=3)
    if not sources:
        return draw(noise)
    base = dict(draw(st.sampled_from(list(sources))))
    kind = draw(st.sampled_from(("exact", "superset", "changed", "dropped", "merged", "noise")))
    if kind == "superset":
        extra = draw(noise)
        return {**{k: v for k, v in extra.items() if k not in base}, **base}
    if kind == "changed":
        key = draw(st.sampled_from(sorted(base)))
        base[key] = draw(label_values().filter(lambda value: value != base[key]))
        return base
    if kind == "dropped":
        del base[draw(st.sampled_from(sorted(base)))]
        return base
    if kind == "merged":
        other = draw(st.sampled_from(list(sources)))
        return {**base, **other}
    if kind == "noise":
        return draw(noise)
    return base


@dataclass(frozen=True)
class LabelRecipe:
    """How to build a pod's labels from a config's selectors, independent of the config itself.

    The stateful fuzz draws its rules' arguments before it knows which pods exist, and prints them as
    code; a recipe is what it draws (its ``repr`` is valid Python), and ``apply(sources)`` turns it into
    labels near the config's selectors, with the same shapes as ``derived_labels``. Indexes wrap
    around, so any recipe applies to any config.
    """

    kind: str = "exact"
    pick: int = 0
    other: int = 0
    value: str = "b"
    noise: tuple[tuple[str, str], ...] = ()

    def apply(self, sources: Sequence[Mapping[str, str]]) -> dict[str, str]:
        """The labels this recipe gives for ``sources`` (the config's non-empty selectors)."""
        noise = dict(self.noise)
        if not sources or self.kind == "noise":
            return noise
        base = dict(sources[self.pick % len(sources)])
        keys = sorted(base)
        if self.kind == "superset":
            return {**{k: v for k, v in noise.items() if k not in base}, **base}
        if self.kind == "changed":
            key = keys[self.other % len(keys)]
            base[key] = self.value if self.value != base[key] else self.value + "x"
        elif self.kind == "dropped":
            del base[keys[self.other % len(keys)]]
        elif self.kind == "merged":
            base.update(sources[self.other % len(sources)])
        return base


def label_recipes(kinds: Sequence[str] = RECIPE_KINDS) -> st.SearchStrategy[LabelRecipe]:
    """Config-independent label recipes (see ``LabelRecipe``) of `kinds` (repeat one to weight it);
    shrinks towards the first (an exact hit by default)."""
    return st.builds(
        LabelRecipe,
        kind=st.sampled_from(tuple(kinds)),
        pick=st.integers(min_value=0, max_value=3),
        other=st.integers(min_value=0, max_value=3),
        value=st.sampled_from(LABEL_VALUES),
        noise=selectors(max_size=2).map(lambda d: tuple(sorted(d.items()))),
    )


def make_pod(
    *,
    name: str,
    ip: str | None,
    labels: Mapping[str, str] | None = None,
    namespace: str = "default",
    phase: str | None = "Running",
    ready: bool | None = True,
    annotations: Mapping[str, str] | None = None,
    deletion_timestamp: str | None = None,
    with_status: bool = True,
    ready_statuses: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A pod as the API server returns it. ``ready=None`` gives no conditions at all;
    ``ready_statuses`` gives one Ready condition per status instead (none, Unknown, duplicates)."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}"}
    if labels is not None:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    if deletion_timestamp is not None:
        metadata["deletionTimestamp"] = deletion_timestamp
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "worker", "image": "fake-worker"}]},
    }
    if with_status:
        status: dict[str, Any] = {}
        if phase is not None:
            status["phase"] = phase
        if ip is not None:
            status["podIP"] = ip
        if ready_statuses is not None:
            scheduled = {"type": "PodScheduled", "status": "True"}
            status["conditions"] = [scheduled, *({"type": "Ready", "status": s} for s in ready_statuses)]
        elif ready is not None:
            status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        pod["status"] = status
    return pod


def bootstrap_annotations() -> st.SearchStrategy[str | None]:
    """The bootstrap-port annotation's value: absent, a plain port, an unusual spelling a u16 parse
    accepts, or one it refuses (BOOTSTRAP_ANNOTATION_UNUSUAL / _INVALID)."""
    return st.one_of(
        st.none(),
        st.integers(min_value=1, max_value=65535).map(str),
        st.sampled_from(BOOTSTRAP_ANNOTATION_UNUSUAL),
        st.sampled_from(BOOTSTRAP_ANNOTATION_INVALID),
    )


@st.composite
def _bootstrap_annotation(draw: st.DrawFn, key: str) -> dict[str, str]:
    value = draw(bootstrap_annotations())
    return {} if value is None else {key: value}


@st.composite
def pods_for(
    draw: st.DrawFn,
    config: ServiceDiscoveryConfig,
    *,
    min_size: int = 0,
    max_size: int = 8,
    live: bool = False,
) -> list[dict[str, Any]]:
    """A batch of pods aimed at ``config``: derived labels plus readiness, phase, podIP, bootstrap
    annotation (absent, plain, every parse corner), deletionTimestamp and namespace variations.

    Each pod has at most one defect (no IP, not Ready, no conditions, unusual Ready conditions, a phase
    other than Running, terminating, no status), and most have none, so that label rules are what
    usually decides.
    Names are ``pod-0``, ``pod-1``, ... and IPs ``127.0.0.2``, ``127.0.0.3``, ... within the batch.
    ``live=True`` keeps to what a live cluster can hold (LIVE_DEFECTS, LIVE_PHASES): no pod without
    conditions or status, no phase a kubelet never writes; the live fuzz creates these pods for real.
    """
    if not 0 <= min_size <= max_size <= MAX_PODS:
        raise ValueError(f"pods_for sizes must satisfy 0 <= min_size <= max_size <= {MAX_PODS}")
    sources = _sources(config)
    home = config.namespace or "default"
    namespaces = (home, home, home, OTHER_NAMESPACE)  # mostly the watched namespace
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    pods: list[dict[str, Any]] = []
    for index in range(count):
        defect = draw(st.sampled_from(LIVE_DEFECTS if live else DEFECTS))
        phases = LIVE_PHASES if live else PHASES[1:]
        phase = draw(st.sampled_from(phases)) if defect == "phase" else "Running"
        statuses = draw(st.sampled_from(READY_CONDITIONS)) if defect == "conditions" else None
        pods.append(
            make_pod(
                name=f"pod-{index}",
                ip=None if defect == "no-ip" else f"127.0.0.{index + 2}",
                labels=draw(derived_labels(sources)),
                namespace=draw(st.sampled_from(namespaces)),
                phase=phase,
                ready={"not-ready": False, "no-conditions": None}.get(defect, True),
                annotations=draw(_bootstrap_annotation(config.bootstrap_port_annotation)),
                deletion_timestamp=DELETION_TIMESTAMP if defect == "terminating" else None,
                with_status=defect != "no-status",
                ready_statuses=statuses,
            )
        )
    return pods


@st.composite
def configs_and_pods(
    draw: st.DrawFn,
    *,
    pd_mode: bool | None = None,
    igw_mode: bool | None = None,
    max_size: int = 8,
) -> tuple[ServiceDiscoveryConfig, list[dict[str, Any]]]:
    """A configuration and a batch of pods aimed at it."""
    config = draw(discovery_configs(pd_mode=pd_mode, igw_mode=igw_mode))
    return config, draw(pods_for(config, max_size=max_size))
