"""The bulk answer is written from JSON texts: the same bytes orjson gives for the dicts."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.ingest import bulk
from vigile.ingest.bulk import BulkItem
from vigile.ingest.intake import Incoming

CHECK = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TEXT = st.text(max_size=30)  # quotes, backslashes, control characters, non-ASCII …
ITEMS = st.builds(
    BulkItem,
    action=st.sampled_from(["index", "create"]),
    index=st.none() | TEXT,
    doc_id=st.none() | TEXT,
    record=st.just(Incoming(b"{}")),
)


@CHECK
@given(item=ITEMS, event_id=TEXT, offset=st.integers(0, 2**63 - 1))
def test_created_answer_is_what_orjson_writes_for_the_dict(
    item: BulkItem, event_id: str, offset: int
) -> None:
    expected = orjson.dumps(bulk.item_created(item, event_id, offset))
    assert bulk.created_json(item, event_id, offset) == expected


@CHECK
@given(
    took=st.integers(0, 10**6),
    errors=st.booleans(),
    items=st.lists(
        st.dictionaries(TEXT, st.integers(-(2**63), 2**63 - 1) | TEXT, max_size=3), max_size=5
    ),
)
def test_whole_answer_is_what_orjson_writes_for_the_dict(
    took: int, errors: bool, items: list[dict[str, object]]
) -> None:
    texts = [orjson.dumps(item) for item in items]
    expected = orjson.dumps({"took": took, "errors": errors, "items": items})
    assert bulk.answer_json(took, errors, texts) == expected
