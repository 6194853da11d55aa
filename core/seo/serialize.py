"""``PageAudit`` ↔ a JSON-ready dict: the shape stored in reports and printed by
``python -m core seo audit --json``. Keys keep their order; dates are ISO 8601 strings."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from core.seo.audit import PageAudit
from core.seo.audits.base import AuditResult

FORMAT_VERSION = 1


def page_audit_to_dict(audit: PageAudit) -> dict[str, Any]:
    doc = dataclasses.asdict(audit)
    doc["fetched_at"] = audit.fetched_at.isoformat()
    return {"format": FORMAT_VERSION, **doc}


def page_audit_from_dict(doc: dict[str, Any]) -> PageAudit:
    names = {f.name for f in dataclasses.fields(AuditResult)}
    audits = [AuditResult(**{k: v for k, v in a.items() if k in names})
              for a in doc.get("audits", [])]
    return PageAudit(
        url=doc["url"], final_url=doc.get("final_url") or doc["url"],
        status_code=doc.get("status_code"),
        fetched_at=datetime.fromisoformat(doc["fetched_at"]),
        response_time_ms=doc.get("response_time_ms"), page_bytes=doc.get("page_bytes"),
        redirects=list(doc.get("redirects") or []), title=doc.get("title"),
        meta_description=doc.get("meta_description"), score=doc.get("score"), audits=audits,
        not_checked=list(doc.get("not_checked") or []), error=doc.get("error"),
        facts=dict(doc.get("facts") or {}))
