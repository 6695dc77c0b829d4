"""Reading pools out of /workers answers shaped like smg 1.13.0's and sglang-router 0.3.2's.

The documents are the shapes recorded in docs/gateways.md#pools-endpoint (trimmed), written out here.
"""

from __future__ import annotations

import pytest

from fixtures.gateways.workers_json import SMG_SHAPE, WorkersJsonError, WorkersShape
from reference import Pools, Worker

SMG_DOC = {
    "workers": [
        {"id": "1", "url": "http://127.0.0.2:18000", "worker_type": "prefill", "bootstrap_port": 8998},
        {"id": "2", "url": "http://127.0.0.3:18000", "worker_type": "decode", "is_healthy": True},
        {"id": "3", "url": "http://127.0.0.4:18000", "worker_type": "regular", "labels": {}},
        {"id": "4", "url": "http://127.0.0.5:18000", "worker_type": "prefill"},
        {"id": "5", "url": "http://127.0.0.6:18000", "worker_type": "encode"},
    ],
    "total": 5,
    "stats": {"prefill_count": 2, "decode_count": 1, "regular_count": 1},
}


def test_smg_shape():
    assert SMG_SHAPE.parse(SMG_DOC) == Pools(
        regular=frozenset({Worker("http://127.0.0.4:18000", None)}),
        prefill=frozenset({Worker("http://127.0.0.2:18000", 8998), Worker("http://127.0.0.5:18000", None)}),
        decode=frozenset({Worker("http://127.0.0.3:18000", None)}),
    )


def test_other_shape_with_paths_and_type_names():
    doc = {"data": {"backends": [{"addr": {"url": "http://127.0.0.9:1"}, "role": "P", "bp": "7000"}]}}
    shape = WorkersShape(
        list_path="data.backends",
        url_field="addr.url",
        type_field="role",
        bootstrap_port_field="bp",
        types={"P": "prefill", "D": "decode", "R": "regular"},
    )
    assert shape.parse(doc).prefill == frozenset({Worker("http://127.0.0.9:1", 7000)})


@pytest.mark.parametrize("doc", [{"workers": {}}, {"items": []}, {"workers": [{"worker_type": "regular"}]}])
def test_wrong_shape_is_an_error(doc):
    with pytest.raises(WorkersJsonError):
        SMG_SHAPE.parse(doc)
