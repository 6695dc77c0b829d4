"""Watches that share a feed (watching.Feed, outlets.Fanout) each get exactly their own stream.

Why: plain watches of one scope share one queue, written once per loop turn to every member. Three
moments could break a stream without any end-to-end test noticing: a watch that joins while lines are
queued (they predate its start: it must not get them), a bookmark pushed while shared lines are queued
(it must come after them), and a member that has not sent its response head yet (it must get the
shared lines after its opening ones).
"""

from __future__ import annotations

import asyncio
import json

from fixtures.apiserver import watching
from fixtures.apiserver.outlets import Outlet
from fixtures.apiserver.resources import PODS
from fixtures.apiserver.selectors import FieldSelector, LabelSelector
from fixtures.apiserver.store import Store


class Sink:
    """A transport that keeps what is written (HTTP/1.0 framing: lines as they are)."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False

    def names(self) -> list[str]:
        return [json.loads(line)["object"]["metadata"]["name"] for line in self.data.splitlines()]


def _watch(store: Store, watches: watching.Watches, *, attach: bool = True) -> tuple[watching.Watch, Sink]:
    watch = watching.Watch(
        resource=PODS,
        namespace="default",
        labels=LabelSelector(),
        fields=FieldSelector(),
        as_table=False,
        include_object="Metadata",
        outlet=Outlet(watches.flusher),
    )
    lines, _ = watching.start_watch(store, watch, {"resourceVersion": str(store.rv)}, watches.feeds)
    watch.outlet.pending[:0] = lines
    sink = Sink()
    if attach:
        watch.outlet.attach(sink, chunked=False)
    return watch, sink


def _create(store: Store, name: str) -> None:
    store.create(
        PODS.plural, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}}
    )


def test_shared_feed_keeps_each_stream_its_own() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        store, watches = Store(), watching.Watches()
        first, a = _watch(store, watches)
        _create(store, "p1")  # queued for `first`
        second, b = _watch(store, watches)  # starts after p1: must not get it
        assert first.feed is not None and first.feed is second.feed, "plain watches of one scope share a feed"
        _create(store, "p2")
        first.outlet.push(b'{"type":"BOOKMARK","object":{"metadata":{"name":"bookmark"}}}\n')  # after p2
        third, c = _watch(store, watches, attach=False)  # head not sent yet
        _create(store, "p3")
        await asyncio.sleep(0.05)  # the flusher's turn
        third.outlet.attach(c, chunked=False)
        _create(store, "p4")
        await asyncio.sleep(0.05)
        for w in (first, second, third):
            w.unsubscribe(store)
        _create(store, "p5")  # nobody listens any more
        await asyncio.sleep(0.05)
        return a.names(), b.names(), c.names()

    a, b, c = asyncio.run(scenario())
    assert a == ["p1", "p2", "bookmark", "p3", "p4"]
    assert b == ["p2", "p3", "p4"]
    assert c == ["p3", "p4"]
