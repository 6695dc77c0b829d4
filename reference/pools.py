"""The desired worker pools as data: easy to compare, print and store.

Why this exists: a conformance verdict is "the gateway's pools equal the reference's pools", so the
pools need an exact equality, a diff that reads well in a failure message, and a plain-data form for
YAML reports (docs/interfaces.md, reference section). A worker is what the gateway registers for a
pod: its URL and, for prefill workers only, the bootstrap port (docs/gateways.md#discovery-rules and
#pools-endpoint).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = ["POOL_NAMES", "Pools", "PoolsDiff", "Worker"]

POOL_NAMES: tuple[str, ...] = ("regular", "prefill", "decode")


@functools.total_ordering
@dataclasses.dataclass(frozen=True)
class Worker:
    """One registered worker: ``url`` (``http://IP:PORT``) and the bootstrap port of a prefill worker.

    Ordered by ``url``, then bootstrap port with ``None`` first, so sorting never compares ``None``
    with an ``int``.
    """

    url: str
    bootstrap_port: int | None = None

    def _key(self) -> tuple[str, int]:
        return (self.url, -1 if self.bootstrap_port is None else self.bootstrap_port)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Worker):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        if self.bootstrap_port is None:
            return self.url
        return f"{self.url} (bootstrap {self.bootstrap_port})"

    def to_dict(self) -> dict[str, Any]:
        """``{"url": ...}`` plus ``"bootstrap_port"`` only when there is one (like the gateways' /workers)."""
        data: dict[str, Any] = {"url": self.url}
        if self.bootstrap_port is not None:
            data["bootstrap_port"] = self.bootstrap_port
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Worker:
        """The inverse of ``to_dict``; ``ValueError`` with a one-line message on malformed data."""
        if not isinstance(data, Mapping) or not isinstance(data.get("url"), str):
            raise ValueError(f"a worker needs a string 'url', got {data!r}")
        port = data.get("bootstrap_port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
            raise ValueError(
                f"worker {data['url']}: bootstrap_port must be an integer or absent, got {port!r}"
            )
        return cls(url=data["url"], bootstrap_port=port)


def _render(workers: Iterable[Worker]) -> str:
    ordered = sorted(workers)
    return ", ".join(str(worker) for worker in ordered) if ordered else "-"


def _frozen_pool(name: str, workers: Iterable[Worker]) -> frozenset[Worker]:
    pool = workers if type(workers) is frozenset else frozenset(workers)
    for worker in pool:
        if not isinstance(worker, Worker):
            raise TypeError(f"pool {name!r} must hold Worker objects")
    return pool


@dataclasses.dataclass(frozen=True, init=False)
class Pools:
    """The regular, prefill and decode pools. Any iterable of ``Worker`` is accepted and frozen."""

    regular: frozenset[Worker]
    prefill: frozenset[Worker]
    decode: frozenset[Worker]

    def __init__(
        self, regular: Iterable[Worker] = (), prefill: Iterable[Worker] = (), decode: Iterable[Worker] = ()
    ) -> None:
        object.__setattr__(self, "regular", _frozen_pool("regular", regular))
        object.__setattr__(self, "prefill", _frozen_pool("prefill", prefill))
        object.__setattr__(self, "decode", _frozen_pool("decode", decode))

    @classmethod
    def empty(cls) -> Pools:
        return cls()

    def pool(self, name: str) -> frozenset[Worker]:
        """The pool called ``name`` (one of ``POOL_NAMES``)."""
        if name not in POOL_NAMES:
            raise KeyError(f"unknown pool {name!r}; pools are {', '.join(POOL_NAMES)}")
        workers: frozenset[Worker] = getattr(self, name)
        return workers

    def items(self) -> Iterator[tuple[str, frozenset[Worker]]]:
        """``(name, workers)`` for each pool, in ``POOL_NAMES`` order."""
        return ((name, self.pool(name)) for name in POOL_NAMES)

    def all_urls(self) -> frozenset[str]:
        """Every worker URL in any pool."""
        return frozenset(worker.url for _, workers in self.items() for worker in workers)

    def __len__(self) -> int:
        return sum(len(workers) for _, workers in self.items())

    def diff(self, other: Pools) -> PoolsDiff:
        """How ``other`` (say, what a gateway shows) differs from ``self`` (say, the expectation).

        ``missing`` holds workers in ``self`` but not in ``other``; ``unexpected`` the reverse, pool by
        pool. A worker in the wrong pool, or with another bootstrap port, appears in both.
        """
        return PoolsDiff(
            missing=Pools(**{name: self.pool(name) - other.pool(name) for name in POOL_NAMES}),
            unexpected=Pools(**{name: other.pool(name) - self.pool(name) for name in POOL_NAMES}),
        )

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """Plain data for reports: ``{"regular": [{"url": ..., "bootstrap_port": ...}], ...}``, sorted."""
        return {name: [worker.to_dict() for worker in sorted(workers)] for name, workers in self.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pools:
        """The inverse of ``to_dict``. Missing pools are empty; unknown pool names are an error."""
        if not isinstance(data, Mapping):
            raise ValueError(
                f"pools must be a mapping of pool name to worker list, got {type(data).__name__}"
            )
        unknown = sorted(set(data) - set(POOL_NAMES))
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ValueError(f"unknown pool name(s) {names}; pools are {', '.join(POOL_NAMES)}")
        pools: dict[str, frozenset[Worker]] = {}
        for name in POOL_NAMES:
            entries = data.get(name) or []
            if not isinstance(entries, list):
                raise ValueError(f"pool {name!r} must be a list of workers, got {type(entries).__name__}")
            pools[name] = frozenset(Worker.from_dict(entry) for entry in entries)
        return cls(**pools)

    def __str__(self) -> str:
        return "\n".join(f"{name} ({len(workers)}): {_render(workers)}" for name, workers in self.items())


@dataclasses.dataclass(frozen=True)
class PoolsDiff:
    """The difference between two ``Pools``; falsy when there is none."""

    missing: Pools
    unexpected: Pools

    def __bool__(self) -> bool:
        return bool(len(self.missing) or len(self.unexpected))

    def __str__(self) -> str:
        if not self:
            return "no differences"
        lines: list[str] = []
        for name in POOL_NAMES:
            missing, unexpected = self.missing.pool(name), self.unexpected.pool(name)
            if missing:
                lines.append(f"{name}: missing {_render(missing)}")
            if unexpected:
                lines.append(f"{name}: unexpected {_render(unexpected)}")
        return "\n".join(lines)
