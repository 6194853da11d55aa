"""``python -m core seo …``: SEO page audits (and, from their own modules, crawls and reports).

    python -m core seo audit https://shop.example/lamp            # score, then what to fix first
    python -m core seo audit https://shop.example/lamp --json     # every audit, as JSON

``audit`` needs neither the database nor a user (``no_database``). Each subcommand is one
``add_…`` function below, called from ``register``: adding one is a function and a line.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.output import print_json
from core.platform.errors import Unfinished
from core.cli.seo_crawl import register as add_crawl
from core.cli.seo_reports import add_report
from core.cli import command_help

SubParsers = argparse._SubParsersAction


class PageNotAudited(Unfinished):
    """The page could not be audited (unreachable, not HTML, an error status…): exit status 1,
    after the report (which says what could not be checked) is printed."""


def _audit(args: argparse.Namespace) -> None:
    from core.seo import audit_url, page_audit_to_dict  # the engine loads only when used

    audit = audit_url(args.url, render=args.render)
    if args.json:
        print_json(page_audit_to_dict(audit))
    else:
        print(format_audit(audit))
    if audit.error:
        raise PageNotAudited(audit.error)


def format_audit(audit: Any) -> str:
    """The human report: the score, then the failed audits, most points recoverable first."""
    lines = [f"SEO audit of {audit.final_url or audit.url}"
             + (f" (HTTP {audit.status_code})" if audit.status_code else "")]
    score = "–" if audit.score is None else f"{audit.score}/100"
    counts = {v: sum(a.verdict == v for a in audit.audits)
              for v in ("pass", "fail", "not_applicable", "error")}
    lines.append(f"Score (Lighthouse SEO weighting): {score}   passed {counts['pass']}, "
                 f"failed {counts['fail']}, not applicable {counts['not_applicable']}"
                 + (f", not checked {counts['error']}" if counts["error"] else ""))
    failed = audit.failed
    if failed:
        lines.append("\nFix first:")
    for result in failed:
        gain = (f"+{result.points_recoverable:g} pts" if result.lighthouse
                else "additional check")
        lines.append(f"  [{gain}] {result.id}: {result.title} — {result.details}")
        lines += [f"      · {line}" for line in map(_evidence_line, result.evidence[:5]) if line]
        if len(result.evidence) > 5:
            lines.append(f"      · … and {len(result.evidence) - 5} more")
        lines.append(f"      → {result.recommendation}")
        if result.note:
            lines.append(f"      ! {result.note}")
    noted = [r for r in audit.audits if r.note and r.verdict != "fail"]
    if noted:
        lines.append("\nCounts Lighthouse may see differently:")
        lines += [f"  {r.id} ({r.verdict.replace('_', ' ')}): {r.note}" for r in noted]
    if audit.not_checked and not audit.error:
        lines.append("\nNot checked:")
        lines += [f"  {reason}" for reason in audit.not_checked]
    if not audit.error:
        lines += lighthouse_differences()
    return "\n".join(lines)


def lighthouse_differences() -> list[str]:
    """Where the score can still differ from Lighthouse's, in words (as on the audit page)."""
    import textwrap

    from core.seo.lighthouse import KNOWN_DIFFERENCES, LIGHTHOUSE_VERSION

    lines = [f"\nHow this compares with Lighthouse {LIGHTHOUSE_VERSION} (its SEO category, rule "
             "by rule). What can still differ on a real page:"]
    for item in KNOWN_DIFFERENCES:
        lines += textwrap.wrap(item, 98, initial_indent="  - ", subsequent_indent="    ")
    return lines


def _evidence_line(item: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", []))[:200]


def add_audit(actions: SubParsers) -> None:
    p = actions.add_parser(
        "audit", help="audit one page (no database needed)",
        description="Fetch a page and its robots.txt, run Lighthouse's SEO audits and the "
        "additional checks, and print the score and what to fix first.")
    p.add_argument("url", help="the page's URL")
    p.add_argument("--render", action="store_true", help="load the page in Chromium first "
                   "(for pages built by JavaScript)")
    p.add_argument("--json", action="store_true", help="print every audit as JSON")
    p.set_defaults(handler=_audit, no_database=True)


SUBCOMMANDS = [add_audit, add_report, add_crawl]


def register(commands: SubParsers) -> None:
    seo = commands.add_parser("seo", help=command_help("seo"),
                              description="Audit pages for SEO the way Lighthouse does, and "
                              "more.")
    actions = seo.add_subparsers(dest="action", required=True, metavar="ACTION")
    for add in SUBCOMMANDS:
        add(actions)
