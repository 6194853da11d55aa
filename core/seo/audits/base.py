"""What every audit is and returns.

An audit is a small pure function ``check(page) -> Outcome`` registered with ``@audit(...)``:
the decorator records its id, title, group, weight and recommendation, so the function itself
only looks at the page and says pass, fail or not applicable, with the evidence.

``AuditResult`` is what the report keeps for one audit on one page; ``score.py`` fills in
``points_recoverable``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.platform.words import counted
from core.seo.lighthouse import LIGHTHOUSE_WEIGHTS

if TYPE_CHECKING:
    from core.seo.page import Page

PASS, FAIL, NOT_APPLICABLE, ERROR = "pass", "fail", "not_applicable", "error"
VERDICTS = (PASS, FAIL, NOT_APPLICABLE, ERROR)


@dataclass
class AuditResult:
    id: str  # Lighthouse's audit id for Lighthouse's audits
    title: str
    group: str
    verdict: str  # one of VERDICTS
    weight: float
    evidence: list[dict[str, Any]]  # the elements, headers or values that failed (or were seen)
    recommendation: str
    points_recoverable: float  # score points a fix would bring back (0 unless it failed)
    lighthouse: bool  # part of Lighthouse's SEO category (counts in the score)
    details: str = ""  # one sentence on the verdict: why it failed, or why it does not apply
    note: str = ""  # why Lighthouse's count may differ on this page (its scripts), in words


@dataclass(frozen=True)
class Outcome:
    """What an audit function returns; the registry adds the rest."""

    verdict: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    details: str = ""
    note: str = ""


def passed(details: str = "", evidence: list[dict[str, Any]] | None = None) -> Outcome:
    return Outcome(PASS, evidence or [], details)


def failed(details: str, evidence: list[dict[str, Any]] | None = None) -> Outcome:
    return Outcome(FAIL, evidence or [], details)


def not_applicable(details: str) -> Outcome:
    return Outcome(NOT_APPLICABLE, [], details)


def verdict_of(ok: bool, details_ok: str, details_fail: str,
               evidence: list[dict[str, Any]]) -> Outcome:
    return passed(details_ok, evidence) if ok else failed(details_fail, evidence)


@dataclass(frozen=True)
class AuditSpec:
    id: str
    title: str
    group: str
    weight: float
    recommendation: str
    lighthouse: bool
    check: Callable[[Page], Outcome]


REGISTRY: list[AuditSpec] = []


def audit(id: str, *, title: str, group: str, recommendation: str, lighthouse: bool = False,
          weight: float | None = None) -> Callable[[Callable[[Page], Outcome]],
                                                   Callable[[Page], Outcome]]:
    """Register ``check`` as the audit ``id`` (in the order modules are imported).

    A Lighthouse audit's weight is Lighthouse's (``core.seo.lighthouse``); an additional check
    gives its own, which only ranks it among the additional checks."""
    if lighthouse:
        weight = LIGHTHOUSE_WEIGHTS[id]
    if weight is None:
        raise TypeError(f"the additional check {id!r} needs a weight")
    fixed_weight = weight

    def register(check: Callable[[Page], Outcome]) -> Callable[[Page], Outcome]:
        REGISTRY.append(AuditSpec(id, title, group, fixed_weight, recommendation, lighthouse,
                                  check))
        return check

    return register


RENDER_HINT = ("Render with JavaScript (\u201cRender JavaScript in Chromium\u201d on the SEO audit "
               "page, --render on the command line) to count what Lighthouse counts.")


def script_note(page: Page, outcome: Outcome, what: str, signs: list[str]) -> Outcome:
    """``outcome`` with a note when the page was read as served but has scripts that can change
    what this audit counts (``what``: the items, in words; ``signs``: what the page's inline
    scripts do that matters here): Lighthouse runs them first."""
    if page.rendered or not (page.script_signs.files or signs):
        return outcome
    found = ([counted(page.script_signs.files, "script file")]
             if page.script_signs.files else []) + signs
    note = (f"This page runs scripts ({'; '.join(found)}), and this audit read its HTML as "
            f"served. Lighthouse runs a page's scripts before it counts, so {what} can make "
            f"its count differ from this one. {RENDER_HINT}")
    return Outcome(outcome.verdict, outcome.evidence, outcome.details, note)
