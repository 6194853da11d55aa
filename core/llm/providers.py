"""Each user's model provider: save, show, delete, test — and, for the builder, the decrypted
``ProviderConfig`` to call it with.

The API key is encrypted before it is stored (``core.llm.secrets``) and never comes back out
to the UI: ``ProviderView.key`` says only whether one is set (and its last four characters).
Saving with an empty key keeps the stored one.

"Test connection" is a network call, so it runs in a worker process
(``python -m core.worker llm-test PROVIDER_ID``) that the page polls: ``request_connection_test``
marks the provider ``testing`` and starts the worker once that is committed; the worker reads
the config (one transaction), calls the model with ``LLM_TEST_TIMEOUT_SECONDS`` and no retries
(no transaction open), then writes the outcome and the tokens it cost (a second transaction).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, require_writer
from core.platform.database import Database
from core.platform.errors import NotFound, ValidationError
from core.llm import secrets
from core.llm.client import ChatClient, ProviderConfig, Usage
from core.llm.errors import ModelError, ProviderKeyUnreadable
from core.llm.usage import record_usage
from core.scrape.urls import AddressPolicy, check_target_url
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, spawn_after_commit
from db.models import LLMProvider
from db.types import utcnow
from vocabularies import ConnectionStatus

MAX_TIMEOUT_SECONDS = 600.0
# A "testing" mark older than the test's own timeout plus this is a worker that died.
_TEST_GRACE_SECONDS = 30.0
TEST_MESSAGES = [
    {"role": "system", "content": 'This is a connection test. Answer with the JSON object '
                                  '{"ok": true} and nothing else.'},
    {"role": "user", "content": "ping"},
]


@dataclass(frozen=True)
class ProviderView:
    """What the settings page shows. ``key`` is "not set", "set (ends in …abcd)" or a request
    to re-enter it; never the key."""

    id: uuid.UUID
    name: str
    base_url: str
    model: str
    timeout_seconds: float
    key: str
    key_readable: bool
    test_status: ConnectionStatus
    test_message: str | None
    tested_at: datetime | None
    updated_at: datetime

    @property
    def testing(self) -> bool:
        return self.test_status == ConnectionStatus.TESTING


def _row(session: Session, user_id: uuid.UUID) -> LLMProvider | None:
    return session.scalar(select(LLMProvider).where(LLMProvider.user_id == user_id))


def _view(row: LLMProvider) -> ProviderView:
    key, readable = "not set", True
    if row.api_key_encrypted:
        try:
            key = secrets.mask(secrets.decrypt(row.api_key_encrypted))
        except ProviderKeyUnreadable:
            key, readable = "unreadable: enter it again", False
    status, message = row.test_status, row.test_message
    if status == ConnectionStatus.TESTING and _test_overdue(row.tested_at):
        status, message = ConnectionStatus.FAILED, "The test did not finish (its worker stopped). Try again."
    return ProviderView(row.id, row.name, row.base_url, row.model, row.timeout_seconds, key,
                        readable, status, message, row.tested_at, row.updated_at)


def _test_overdue(started: datetime | None) -> bool:
    limit = get_settings().llm_test_timeout_seconds + _TEST_GRACE_SECONDS
    return started is None or utcnow() - started > timedelta(seconds=limit)


def get_provider(session: Session, actor: Actor) -> ProviderView | None:
    """The actor's provider, or None when they have not set one up."""
    row = _row(session, actor.id)
    return None if row is None else _view(row)


def save_provider(session: Session, actor: Actor, *, name: str, base_url: str, model: str,
                  api_key: str = "", timeout_seconds: float | None = None) -> ProviderView:
    """Create or change the actor's provider. An empty ``api_key`` keeps the stored one (on a
    new provider: no key, for local servers that need none). Every problem is listed at once."""
    require_writer(actor)
    name, model, api_key = name.strip(), model.strip(), api_key.strip()
    timeout = get_settings().llm_timeout_seconds if timeout_seconds is None else timeout_seconds
    problems = _problems(name, base_url, model, api_key, timeout)
    if problems:
        raise ValidationError("The model provider was not saved.", problems)
    row = _row(session, actor.id)
    if row is None:
        row = LLMProvider(user_id=actor.id)
        session.add(row)
    row.name, row.base_url, row.model, row.timeout_seconds = name, base_url.strip(), model, timeout
    if api_key:
        row.api_key_encrypted = secrets.encrypt(api_key)
    row.test_status, row.test_message, row.tested_at = ConnectionStatus.NEVER, None, None
    session.flush()
    audit.record(session, actor, "llm_provider.save", "llm_provider", row.id, new={
        "name": name, "base_url": row.base_url, "model": model, "timeout_seconds": timeout,
        "api_key": "changed" if api_key else "unchanged"})
    return _view(row)


def _problems(name: str, base_url: str, model: str, api_key: str, timeout: float) -> list[str]:
    problems = []
    if not name or len(name) > 60:
        problems.append("name: give the provider a name of at most 60 characters (e.g. OpenAI)")
    if _has_credentials(base_url):  # checked first: the other messages quote the URL
        problems.append("base URL: put the key in the API key field, not in the URL")
    else:
        try:
            check_target_url(base_url, allow_private=AddressPolicy.from_settings())
        except ValidationError as exc:
            problems.append(f"base URL: {exc}")
    if not model or len(model) > 120:
        problems.append("model: name the model (at most 120 characters), e.g. gpt-4o-mini")
    if any(ch.isspace() for ch in api_key) or len(api_key) > 1000:
        problems.append("API key: it cannot contain spaces or line breaks (paste it again)")
    if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
        problems.append(f"timeout: must be from 1 to {MAX_TIMEOUT_SECONDS:g} seconds")
    return problems


def _has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return bool(parts.username or parts.password)


def delete_provider(session: Session, actor: Actor) -> None:
    """Forget the actor's provider and its key. The ledger keeps the calls already made."""
    require_writer(actor)
    row = _row(session, actor.id)
    if row is None:
        raise NotFound("You have no model provider to delete.")
    audit.record(session, actor, "llm_provider.delete", "llm_provider", row.id,
                 old={"name": row.name, "base_url": row.base_url, "model": row.model})
    session.delete(row)


def has_provider(session: Session, user: Actor | uuid.UUID) -> bool:
    """Whether the user has set up a model provider (readable key or not)."""
    user_id = user.id if isinstance(user, Actor) else user
    return session.scalar(select(LLMProvider.id).where(LLMProvider.user_id == user_id)) \
        is not None


def provider_for(session: Session, user: Actor | uuid.UUID) -> ProviderConfig | None:
    """The user's provider, decrypted and ready for ``ChatClient``; None when they have none.
    Raises ``ProviderKeyUnreadable`` (asking to re-enter the key) when the secret changed."""
    row = _row(session, user.id if isinstance(user, Actor) else user)
    if row is None:
        return None
    return _config(row)


def _config(row: LLMProvider) -> ProviderConfig:
    key = secrets.decrypt(row.api_key_encrypted) if row.api_key_encrypted else None
    return ProviderConfig(name=row.name, base_url=row.base_url, model=row.model, api_key=key,
                          timeout=row.timeout_seconds, id=row.id, user_id=row.user_id)


def request_connection_test(session: Session, actor: Actor) -> ProviderView:
    """Mark the actor's provider ``testing``; a worker process runs the test after commit."""
    require_writer(actor)
    row = _row(session, actor.id)
    if row is None:
        raise NotFound("Save a model provider first, then test it.")
    if row.api_key_encrypted:
        secrets.decrypt(row.api_key_encrypted)  # an unreadable key: say so now, not in a worker
    row.test_status, row.test_message, row.tested_at = ConnectionStatus.TESTING, None, utcnow()
    session.flush()
    spawn_after_commit(session, WorkName.LLM_TEST, row.id, queued=False)
    return _view(row)


def run_connection_test(database: Database, provider_id: uuid.UUID) -> ConnectionStatus:
    """The worker's side of "Test connection": returns the status it wrote (ok | failed)."""
    with database.transaction() as session:
        row = session.get(LLMProvider, provider_id)
        if row is None:
            return ConnectionStatus.FAILED  # deleted meanwhile: nothing to report to
        try:
            config = _config(row)
        except ProviderKeyUnreadable as exc:
            config, problem = None, str(exc)
    usage = None
    if config is not None:
        status, message, usage = connection_test(config)
    else:
        status, message = ConnectionStatus.FAILED, problem
    with database.transaction() as session:
        row = session.get(LLMProvider, provider_id)
        if row is None:
            return status
        row.test_status, row.test_message, row.tested_at = status, message, utcnow()
        if usage is not None:
            record_usage(session, row.user_id, usage)
    return status


def connection_test(config: ProviderConfig) -> tuple[ConnectionStatus, str, Usage | None]:
    """One short call (``LLM_TEST_TIMEOUT_SECONDS``, no retries): (status, message, usage)."""
    timeout = min(config.timeout, get_settings().llm_test_timeout_seconds)
    started = time.monotonic()
    try:
        with ChatClient(config, max_retries=0, timeout=timeout) as client:
            answer = client.complete(TEST_MESSAGES, max_tokens=20)
    except ModelError as exc:
        return ConnectionStatus.FAILED, str(exc), exc.usage
    seconds = time.monotonic() - started
    used = f"{answer.usage.input_tokens} + {answer.usage.output_tokens} tokens"
    try:
        json.loads(answer.content)
    except ValueError:
        return ConnectionStatus.FAILED, (
            f"{config.model} answered in {seconds:.1f} s ({used}), but not with the JSON asked "
            "for: the builder needs a model that follows JSON instructions."), answer.usage
    return (ConnectionStatus.OK,
            f"Connected: {config.model} answered in {seconds:.1f} s ({used}).", answer.usage)


# Spawned per request, never queued; a test whose worker died shows as failed when read.
WORK = WorkKind(WorkName.LLM_TEST, execute=run_connection_test)
