"""Ids of rows written in bulk (results, URL outcomes, run events): UUIDv7s from one counter
(db.plain_rows)."""

import uuid

from db.plain_rows import OrderedIds


def test_a_runs_ids_are_unique_time_ordered_uuid7s_whichever_form_is_asked_for() -> None:
    ids = OrderedIds()

    made = [ids.next_uuid() if n % 2 else uuid.UUID(hex=ids.next_hex()) for n in range(1000)]

    assert len(set(made)) == 1000 and made == sorted(made)  # the index grows at its end
    assert {u.version for u in made} == {7} and {u.variant for u in made} == {uuid.RFC_4122}


def test_two_runs_started_in_the_same_millisecond_share_no_id() -> None:
    first, second = OrderedIds(), OrderedIds()

    assert not {first.next_uuid() for _ in range(100)} & {second.next_uuid() for _ in range(100)}
