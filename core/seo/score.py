"""The 0–100 score, computed as Lighthouse computes its SEO category, and points recoverable.

The weights are Lighthouse's (``core.seo.lighthouse``). The score is the weighted mean of the
audits that apply (pass = 1, fail = 0; not-applicable and errored audits drop out of both sums),
times 100, rounded. is-crawlable weighs as much as four other audits together, so a page blocked
from indexing scores 69 or less however good the rest is.

``points_recoverable`` of a failed Lighthouse audit is what fixing it alone would add:
weight / (sum of applicable weights) × 100. The additional checks (lighthouse=False) do not
change this score — it stays comparable with Lighthouse's — and recover 0 of its points; they
are ranked by their own weight after the Lighthouse audits (see ``fix_first``).
"""

from __future__ import annotations

from core.seo.audits.base import FAIL, PASS, AuditResult


def _scored(results: list[AuditResult]) -> list[AuditResult]:
    return [r for r in results if r.lighthouse and r.verdict in (PASS, FAIL)]


def score(results: list[AuditResult]) -> int | None:
    """The Lighthouse-compatible SEO score, or None when no weighted audit could be decided."""
    scored = _scored(results)
    total = sum(r.weight for r in scored)
    if total <= 0:
        return None
    passed = sum(r.weight for r in scored if r.verdict == PASS)
    return round(passed / total * 100)


def assign_points(results: list[AuditResult]) -> None:
    """Set ``points_recoverable`` on every result (in place)."""
    total = sum(r.weight for r in _scored(results))
    for result in results:
        recoverable = result.lighthouse and result.verdict == FAIL and total > 0
        result.points_recoverable = round(result.weight / total * 100, 1) if recoverable else 0.0


def fix_first(results: list[AuditResult]) -> list[AuditResult]:
    """The failed audits, most valuable fix first: points recoverable, then weight."""
    failed = [r for r in results if r.verdict == FAIL]
    return sorted(failed, key=lambda r: (-r.points_recoverable, not r.lighthouse, -r.weight))
