"""The optional language model: an OpenAI-compatible chat-completions provider per user.

The short way, for a worker: ``with_model`` reads the provider, calls, and records the usage
(also for a garbage answer), each step in its own transaction::

    fields = llm.with_model(database, user_id,
                            lambda client: llm.propose_fields(client, objective, digest),
                            build_id=build.id)        # None: the user has no model
                                                      # raises llm.ModelError (readable)

The same by hand (never holding a transaction across the model call)::

    from core import llm

    with database.transaction() as session:
        llm.has_provider(session, actor.id)              # cheap: is there one at all?
        config = llm.provider_for(session, actor)        # None: go on without a model
                                                         # (ProviderKeyUnreadable: re-enter key)
    if config is not None:
        try:
            with llm.client_for(config) as client:
                fields, usage = llm.propose_fields(client, objective, page_digest)
        except llm.ModelError as exc:                     # readable; exc.usage may be set
            usage = exc.usage
            ...                                           # keep what the build had, say str(exc)
        with database.transaction() as session:
            if usage is not None:
                llm.record_usage(session, actor.id, usage, build_id=build.id)

``page_digest`` can be ``llm.html_digest(html)``: the page without scripts, styles and
attributes selectors do not use, clipped to what a prompt can hold.

Modules: ``calls`` (``with_model``), ``client`` (httpx, retries, error mapping), ``assist``
(the three builder calls and their answer schemas), ``digest`` (``html_digest``),
``providers`` (per-user settings, encrypted key, connection test), ``prices`` (price table),
``usage`` (cost ledger rows), ``secrets`` (Fernet), ``errors``.
"""

from __future__ import annotations

from core.llm.assist import (
    FEEDBACK_OPERATION_SCHEMA, feedback_operation_schema, interpret_feedback, judge_criterion,
    propose_fields, repair_field,
)
from core.llm.calls import with_model
from core.llm.client import ChatClient, Completion, ProviderConfig, Usage
from core.llm.digest import html_digest
from core.llm.errors import (
    ModelAnswerInvalid, ModelError, ModelRefused, ModelUnavailable, ProviderKeyUnreadable,
)
from core.llm.providers import has_provider, provider_for
from core.llm.usage import record_usage


def client_for(config: ProviderConfig) -> ChatClient:
    """A client for ``config`` with the configured timeout and retries; use it as a context
    manager (or call ``close()``) so its connections are released."""
    return ChatClient(config)


__all__ = [
    "ChatClient", "Completion", "ProviderConfig", "Usage", "client_for", "provider_for",
    "with_model", "html_digest",
    "has_provider", "propose_fields", "repair_field", "interpret_feedback",
    "FEEDBACK_OPERATION_SCHEMA", "feedback_operation_schema",
    "record_usage", "ModelError", "ModelUnavailable", "ModelRefused", "ModelAnswerInvalid",
    "ProviderKeyUnreadable",
]
