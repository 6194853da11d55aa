"""One model call for a user, start to finish: read their provider (one transaction), call the
model with no transaction open, then record the tokens in the cost ledger (a second one) —
also when the answer turned out to be garbage, since it was paid for all the same.

    fields = with_model(database, user_id, lambda client: propose_fields(client, text, digest),
                        build_id=build.id)
    if fields is None: ...        # the user has no model: go on without one
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from core.platform.database import Database
from core.llm.client import ChatClient, Usage
from core.llm.errors import ModelError
from core.llm.providers import provider_for
from core.llm.usage import record_usage

T = TypeVar("T")


def with_model(database: Database, user_id: uuid.UUID,
               call: Callable[[ChatClient], tuple[T, Usage]], *,
               build_id: uuid.UUID | None = None, run_id: uuid.UUID | None = None,
               advisor_run_id: uuid.UUID | None = None, node: str | None = None) -> T | None:
    """``call(client)``'s result, or None when the user has no provider. ``ModelError``\\ s
    (readable) propagate after their usage, if any, is recorded. The ledger rows name what the
    call was for: ``build_id``, ``run_id``, or an advisor provider run and its ``node``."""
    with database.transaction() as session:
        config = provider_for(session, user_id)
    if config is None:
        return None
    usage: Usage | None = None
    try:
        with ChatClient(config) as client:
            result, usage = call(client)
    except ModelError as exc:
        usage = exc.usage
        raise
    finally:
        if usage is not None:
            with database.transaction() as session:
                record_usage(session, user_id, usage, build_id=build_id, run_id=run_id,
                             advisor_run_id=advisor_run_id, node=node)
    return result
