"""What a worker does for a build (``python -m core.worker build BUILD_ID``).

Two kinds of step, chosen by the build's status:

- **analysis** (``pending_analysis``): fetch the sample URLs (rendering in Chromium the pages
  that need JavaScript), look in the knowledge base for a starting point, propose a schema and a
  package (``core.analysis``), → ``generating_samples``: run the package on every sample →
  ``pending_user_feedback`` with iteration 1;
- **feedback** (``processing_feedback``): apply the user's corrections to the current package,
  run the samples again → ``pending_user_feedback`` with the next iteration.

Every step is an event on the build's timeline (``core.timeline``, nodes analyse → propose →
sample → feedback → confirm), and every fetch, render and model call is charged to the build in
the cost ledger (``core.ledger``). Each database write is its own short
transaction: none is held across a fetch or a model call. A sample that cannot be fetched is
reported (which URL, why) and the others carry on; trouble with the optional language model
keeps what the build had and says so.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from core import budgets, ledger, timeline
from core.builder import builds, knowledge
from core.analysis import (FieldKind, Proposal, SamplePage, SampleReport, WantedField,
                           find_field_for_example, needs_javascript, propose, run_samples,
                           wanted_fields)
from core.platform.database import Database
from core.platform.errors import ScrapeDeckError
from core.platform.words import counted
from core.scrape.fetch import Fetcher
from core.scrape.result import FetchResult
from core.scrape.options import FetchOptions
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, heartbeat
from db.models import Build, BuildIteration
from db.types import utcnow
from vocabularies import BuildStatus

if TYPE_CHECKING:  # the model's code is loaded only when a build uses one
    from core.llm.client import ChatClient, ProviderConfig, Usage

T = TypeVar("T")
# A field found again: its package spec, its schema property, and how it was found.
Refound = tuple[dict[str, Any], dict[str, Any], str]

log = logging.getLogger("scrapedeck.builds")
MAX_RECORDS_KEPT = 20  # per sample page, in the stored sample report
UPLOAD_PREFIX = "upload:"  # the "URL" of an uploaded sample page


class BuildFailed(Exception):
    """The step cannot go on; ``str()`` is the message the build shows."""


class BuildStopped(BuildFailed):
    """A budget was reached: the build stops where it is, keeping what it has."""


def _spent(session: Session, plan: BuildPlan) -> None:
    """After the build's costs went into the ledger: note when a budget says to stop (the
    caller raises ``BuildStopped`` once its transaction is committed)."""
    if plan.stopped_by is None:
        plan.stopped_by = budgets.after_charge(session, plan.user_id)


def _stop_if_over(plan: BuildPlan) -> None:
    if plan.stopped_by is not None:
        raise BuildStopped(plan.stopped_by)


@dataclass
class BuildPlan:
    """What a step needs, read in one transaction before any slow work."""

    build_id: uuid.UUID
    user_id: uuid.UUID
    status: BuildStatus
    objective: str
    urls: list[str]
    uploads: list[dict[str, str]]
    pages: list[dict[str, Any]]
    package: dict[str, Any] | None
    schema: dict[str, Any] | None
    iteration: int
    feedback: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    render: bool = False  # the form's render switch
    wait_for: str | None = None
    raw: dict[str, str] = field(default_factory=dict)  # a rendered sample's HTML before scripts
    stopped_by: str | None = None  # why a budget stopped the build (core.budgets)


def execute_build(database: Database, build_id: uuid.UUID) -> str:
    """Run the build's pending step (it must be claimed); return the status it ends in."""
    with database.transaction() as session:
        build = session.get_one(Build, build_id)
        plan = BuildPlan(build_id=build.id, user_id=build.user_id, status=build.status,
                         objective=build.user_objective, urls=list(build.initial_target_urls),
                         uploads=list(build.uploaded_samples or []),
                         pages=list(build.sample_pages or []),
                         package=build.temporary_config_package, schema=build.output_schema,
                         iteration=build.iteration, feedback=build.pending_feedback,
                         notes=list(build.notes or []), render=bool(build.render_javascript),
                         wait_for=build.wait_for)
    try:
        with heartbeat(database, Build, plan.build_id):  # a long render is not a dead worker
            if plan.status == BuildStatus.PENDING_ANALYSIS:
                return analyse(database, plan)
            return apply_feedback(database, plan)
    except BuildStopped as exc:
        return _stopped(database, plan, str(exc))
    except BuildFailed as exc:
        return _give_up(database, plan, str(exc))
    except Exception as exc:  # a bug: say so, keep the last iteration, let the log have it all
        log.exception("build %s stopped", build_id)
        _give_up(database, plan, f"The build stopped on an internal error: {exc!r}")
        raise


# --- Analysis ----------------------------------------------------------------------------------

def analyse(database: Database, plan: BuildPlan) -> BuildStatus:
    pages = _fetch_samples(database, plan) + [
        SamplePage(url=UPLOAD_PREFIX + u["name"], html=u["html"]) for u in plan.uploads]
    if not pages:
        raise BuildFailed("No sample could be read: " + "; ".join(plan.notes)
                          + ". Check the URLs open in a browser, or save the pages as .html "
                          "files and upload them.")
    start = _starting_point(database, plan)
    extra = _model_fields(Model(database, plan), plan, pages)
    try:
        proposal = propose(plan.objective, pages, start_from=start.package if start else None,
                           extra_fields=extra)
    except ScrapeDeckError as exc:
        raise BuildFailed(f"The samples could not be analysed: {exc}") from exc
    if not proposal.package.get("fields"):
        raise BuildFailed("Nothing in the objective could be found on the samples. Name the "
                          "fields you want (e.g. \"name, price, link\") and check the samples "
                          "show them.")
    plan.notes += proposal.notes
    _rendering(plan, proposal.package, pages)
    with database.transaction() as session:
        _set(session, plan, status=BuildStatus.GENERATING_SAMPLES,
             sample_pages=[{"url": p.url, "html": p.html} for p in pages])
        builds.record_event(session, plan.build_id, timeline.StateTransition(
            to=BuildStatus.GENERATING_SAMPLES,
            extra={"page_kinds": proposal.page_kinds, "fields": proposal.field_sources}))
    detail = _learn_detail_pages(database, plan, proposal, pages)
    report = _run_samples(proposal.package, pages)
    if detail:
        report["detail"] = detail
    if proposal.next_page:
        report["next_page"] = _preview_next_page(database, plan, proposal.package,
                                                 proposal.next_page)
    changes = [f"proposed {len(proposal.package['fields'])} fields: "
               + ", ".join(proposal.package["fields"])]
    if start:
        changes.insert(0, f"started from the knowledge base ({start.reason})")
    _new_iteration(database, plan, proposal.package, proposal.schema, report, pages, changes)
    return BuildStatus.PENDING_USER_FEEDBACK


def _fetch_samples(database: Database, plan: BuildPlan) -> list[SamplePage]:
    if not plan.urls:
        return []
    return asyncio.run(_fetch_all(database, plan))


async def _fetch_all(database: Database, plan: BuildPlan) -> list[SamplePage]:
    cap, pages = get_settings().build_sample_max_bytes, []
    async with Fetcher(FetchOptions()) as fetcher:
        for url in plan.urls:
            result = await fetcher.fetch(url)
            requests, fetched_bytes = max(result.attempts, 1), result.n_bytes
            renders, browser_seconds = 0, 0.0
            rendered, raw = False, result.text if result.ok else ""
            if result.ok and (plan.render or needs_javascript(result.text)):
                result, rendered, seconds = await _render(fetcher, url, result, plan)
                if seconds is not None:
                    renders, browser_seconds = 1, seconds
                if rendered:
                    plan.raw[result.final_url or url] = raw
            if result.ok and not result.text.strip():
                result = type(result)(url, result.final_url, result.status_code,
                                      error="the page is empty")
            _record_fetch(database, plan, url, result, rendered, ledger.fetch_charges(
                requests, fetched_bytes, renders, browser_seconds))
            if result.ok:
                pages.append(SamplePage(url=result.final_url or url, html=result.text[:cap]))
            else:
                plan.notes.append(f"{url} could not be used: {result.error}")
    return pages


# A sample's scripts may fill the page a moment after "load": wait until its DOM has been quiet
# for half a second (at most five seconds after load), whatever the page is.
SETTLED = "html[data-scrapedeck-settled]"
SETTLE_SCRIPT = """
(() => {
  const done = () => document.documentElement.setAttribute('data-scrapedeck-settled', '1');
  let timer = null;
  const quiet = () => { clearTimeout(timer); timer = setTimeout(done, 500); };
  window.addEventListener('load', () => {
    new MutationObserver(quiet).observe(document.documentElement,
                                        {subtree: true, childList: true, characterData: true});
    quiet();
    setTimeout(done, 5000);
  });
})();
"""


async def _render(fetcher: Fetcher, url: str, fetched: FetchResult,
                  plan: BuildPlan) -> tuple[FetchResult, bool, float | None]:
    """The page after its scripts ran (and whether it was), the fetched HTML when Chromium
    cannot help; and the browser seconds spent (None: no browser ran)."""
    try:
        result = await fetcher.render(url, wait_for=plan.wait_for or SETTLED,
                                      init_script=SETTLE_SCRIPT)
    except ScrapeDeckError as exc:  # no browser on this machine
        plan.notes.append(f"{url} needs JavaScript, but it could not be rendered ({exc}); "
                          "its HTML is used as it came.")
        return fetched, False, None
    if not result.ok:
        plan.notes.append(f"{url} could not be rendered ({result.error}); its HTML is used as "
                          "it came.")
        return fetched, False, result.elapsed_s
    return result, True, result.elapsed_s


def _rendering(plan: BuildPlan, package: dict[str, Any], pages: list[SamplePage]) -> None:
    """The package renders when the samples had to be rendered; a list whose records are only
    in the rendered page (none in the HTML as it came) is named as such."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    from core.analysis.selectors import safe_css

    rendered = [p for p in pages if p.url in plan.raw]
    if not rendered:
        return
    container = package.get("container") if isinstance(package.get("container"), str) else None
    package["render"] = {"javascript": True, "wait_for": plan.wait_for or container}
    for page in rendered:
        if container is None:
            continue
        after = len(safe_css(HTMLParser(page.html), container))
        before = len(safe_css(HTMLParser(plan.raw[page.url]), container))
        if after and not before:
            plan.notes.append(f"The records on {page.url} only appear after JavaScript ({after} "
                              "in the rendered page, none in its HTML): the package renders "
                              "pages in Chromium and waits for them.")
    if plan.render:
        plan.notes.append("Samples rendered in Chromium as asked"
                          + (f", waiting for '{plan.wait_for}'" if plan.wait_for else "") + ".")


MAX_DETAIL_SAMPLES = 3  # record pages fetched to learn the fields a listing does not show


def _learn_detail_pages(database: Database, plan: BuildPlan, proposal: Proposal,
                        pages: list[SamplePage]) -> dict[str, Any] | None:
    """Fields the objective asks for that the listing does not show ("SKU on the product
    page"): fetch the first records' own pages, learn those fields there, and add a ``detail``
    section to the package, so a job follows each record's link. Returns what each detail
    page gave, for the sample report."""
    from core.analysis import learn
    from core.analysis.matching import match_in_records
    from core.analysis.selectors import safe_css
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    package = proposal.package
    container = package.get("container")
    wanted = [f for f in wanted_fields(plan.objective) if f.name not in package["fields"]]
    if not isinstance(container, str) or not wanted:
        return None
    link = next((n for n, f in package["fields"].items()
                 if f.get("take") == "attr" and f.get("attribute") == "href"), None)
    if link is None:
        records = [n for p in pages for n in safe_css(HTMLParser(p.html), container)]
        match = match_in_records(WantedField("url", "url"), records)
        if match is None:
            return None
        link = "url" if "url" not in package["fields"] else "record_url"
        package["fields"][link] = match.spec
        proposal.schema.setdefault("properties", {})[link] = {
            **builds.FIELD_KINDS[FieldKind.URL][0], "x-kind": FieldKind.URL}
    report = run_samples(package, pages)
    urls = list(dict.fromkeys(
        r[link] for records in report.records.values() for r in records
        if isinstance(r.get(link), str) and r[link].startswith(("http://", "https://"))))
    if not urls:
        return None
    details = asyncio.run(_fetch_details(database, plan, urls[:MAX_DETAIL_SAMPLES],
                                         bool(package.get("render", {}).get("javascript"))))
    if not details:
        plan.notes.append("The records' own pages could not be read, so "
                          + ", ".join(f.name for f in wanted) + " could not be looked for there.")
        return None
    found = learn.learn_fields(wanted, details)
    if not found:
        plan.notes.append(f"{', '.join(f.name for f in wanted)}: not on the listing, nor on the "
                          f"records' own pages ({len(details)} looked at).")
        return None
    fields = {name: m.spec for name, m in found.items()}
    package["detail"] = {"link": link, "fields": fields, "max_pages": 200}
    for field in wanted:
        if field.name in fields:
            kind = FieldKind(field.type) if field.type in builds.FIELD_KINDS else FieldKind.STRING
            proposal.schema.setdefault("properties", {})[field.name] = {
                **builds.FIELD_KINDS[kind][0], "x-kind": kind}
    values = learn.evaluate(list(fields.values()), details)
    plan.notes = [n for n in plan.notes
                  if not any(n.startswith(f"Could not find '{name}'") for name in fields)]
    plan.notes.append(f"{', '.join(fields)}: not on the listing; read on each record's own page "
                      f"(its '{link}' link), learned from {len(details)} of them.")
    return {"link": link, "pages": [p.url for p in details],
            "fields": {name: values[i] for i, name in enumerate(fields)}}


async def _fetch_details(database: Database, plan: BuildPlan, urls: list[str],
                         render: bool) -> list[SamplePage]:
    cap, found = get_settings().build_sample_max_bytes, []
    async with Fetcher(FetchOptions()) as fetcher:
        for url in urls:
            try:
                result = await (fetcher.render(url, wait_for=plan.wait_for or SETTLED,
                                               init_script=SETTLE_SCRIPT)
                                if render else fetcher.fetch(url))
            except ScrapeDeckError as exc:
                plan.notes.append(f"Detail page {url} could not be read: {exc}")
                continue
            _record_fetch(database, plan, url, result, render, ledger.fetch_charges(
                max(result.attempts, 1), result.n_bytes, int(render),
                result.elapsed_s if render else 0.0), node="propose")
            if result.ok:
                found.append(SamplePage(url=result.final_url or url, html=result.text[:cap]))
            else:
                plan.notes.append(f"Detail page {url} could not be read: {result.error}")
    return found


def _preview_next_page(database: Database, plan: BuildPlan, package: dict[str, Any],
                       url: str) -> dict[str, Any]:
    """Page 2 of the list, fetched and extracted with the package: its records, or why not."""
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    async def fetch() -> FetchResult:
        async with Fetcher(FetchOptions()) as fetcher:
            if package.get("render", {}).get("javascript"):
                return await fetcher.render(url, wait_for=plan.wait_for or SETTLED,
                                            init_script=SETTLE_SCRIPT)
            return await fetcher.fetch(url)

    result: FetchResult | None
    error: str | None
    try:
        result = asyncio.run(fetch())
    except ScrapeDeckError as exc:
        result, error = None, str(exc)
    else:
        error = result.error if not result.ok else None
    if result is None or error:
        plan.notes.append(f"Page 2 ({url}) could not be read: {error}.")
        return {"url": url, "error": error, "count": 0, "records": []}
    records = [r.data for r in extract_records(parse_package(package), result.text,
                                               result.final_url or url)]
    plan.notes.append(f"Page 2 ({url}): {counted(len(records), 'record')} with this package.")
    rendered = bool(package.get("render", {}).get("javascript"))
    with database.transaction() as session:
        builds.record_event(session, plan.build_id, timeline.PageFetched(
            node="sample", url=url, status=result.status_code, bytes=result.n_bytes,
            rendered=rendered, items=len(records), extra={"next_page": True}))
        ledger.record(session, ledger.Owner(plan.user_id, build_id=plan.build_id),
                      ledger.fetch_charges(max(result.attempts, 1), result.n_bytes,
                                           int(rendered), result.elapsed_s if rendered else 0))
        _spent(session, plan)
        _beat(session, plan.build_id)
    _stop_if_over(plan)
    return {"url": url, "error": None, "count": len(records), "records": records[:5]}


def _record_fetch(database: Database, plan: BuildPlan, url: str, result: FetchResult,
                  rendered: bool, charges: list[ledger.Charge], node: str = "analyse") -> None:
    """A sample page (``analyse``) or a record's own page (``propose``) fetched, and its cost."""
    with database.transaction() as session:
        event: timeline.Event
        if result.ok:
            event = timeline.PageFetched(node=node, url=url, status=result.status_code,
                                         bytes=result.n_bytes, rendered=rendered)
        else:
            event = timeline.Failure(node=node, url=url, error=result.error,
                                     status=result.status_code)
        builds.record_event(session, plan.build_id, event)
        ledger.record(session, ledger.Owner(plan.user_id, build_id=plan.build_id), charges)
        _spent(session, plan)
        _beat(session, plan.build_id)
    _stop_if_over(plan)


def _starting_point(database: Database, plan: BuildPlan) -> knowledge.StartingPoint | None:
    with database.transaction() as session:
        start = knowledge.find_starting_point(session, plan.user_id, plan.urls, plan.objective)
        if start is None:
            return None
        knowledge.count_use(session, start.entry_id)
        session.execute(update(Build).where(Build.id == plan.build_id)
                        .values(started_from_entry_id=start.entry_id))
        builds.record_event(session, plan.build_id, timeline.Handoff(
            node="propose", target=timeline.HandoffTarget.KNOWLEDGE_BASE,
            extra={"entry": str(start.entry_id), "reason": start.reason,
                   "similarity": start.similarity}))
    plan.notes.append(f"Started from the knowledge base: a confirmed package for {start.reason}.")
    return start


# --- Feedback ----------------------------------------------------------------------------------

def apply_feedback(database: Database, plan: BuildPlan) -> BuildStatus:
    pages = [SamplePage(url=p["url"], html=p["html"]) for p in plan.pages]
    package, schema = copy.deepcopy(plan.package or {}), copy.deepcopy(plan.schema or {})
    changes: list[str] = []
    model = Model(database, plan)
    for op in (plan.feedback or {}).get("operations", []):
        changes.append(_apply(op, package, schema, pages, model))
    if not package.get("fields"):
        raise BuildFailed("That would leave no field at all; the previous iteration is kept.")
    report = _run_samples(package, pages)
    _new_iteration(database, plan, package, schema, report, pages, changes)
    return BuildStatus.PENDING_USER_FEEDBACK


def _apply(op: dict[str, Any], package: dict[str, Any], schema: dict[str, Any],
           pages: list[SamplePage], model: Model) -> str:
    kind, name = op["op"], str(op.get("field"))  # the ops that name a field were checked
    fields, props = package.setdefault("fields", {}), schema.setdefault("properties", {})
    if kind == "rename":
        fields[op["to"]] = fields.pop(name)
        if name in props:
            props[op["to"]] = props.pop(name)
        schema["required"] = [op["to"] if r == name else r for r in schema.get("required", [])]
        return f"renamed {name} to {op['to']}"
    if kind == "retype":
        _retype(fields[name], props, name, FieldKind(op["type"]))
        return f"{name} is now a {op['type']}"
    if kind == "drop":
        _drop(package, schema, name)
        return f"dropped {name}"
    if kind == "wrong":
        return _refind(name, package, schema, pages, model)
    if kind == "example":
        return _from_example(op["name"], op["value"], package, schema, pages)
    return _free_text(model, op["text"], package, schema, pages)


def _retype(spec: dict[str, Any], props: dict[str, Any], name: str, kind: FieldKind) -> None:
    fragment, transforms, attribute = builds.FIELD_KINDS[kind]
    # a regex that cuts the value out of its text ("ISBN-13: …") still has to cut it out
    cuts = [t for t in spec.get("transforms", []) if isinstance(t, dict) and "regex" in t]
    spec["transforms"] = [*cuts, *transforms]
    if attribute:
        spec["take"], spec["attribute"] = "attr", attribute
    elif spec.get("take") == "attr" and spec.get("attribute") in ("href", "src"):
        spec.pop("take"), spec.pop("attribute")  # back to the element's text
    props[name] = {**{k: v for k, v in props.get(name, {}).items()
                      if k not in ("type", "format")}, **fragment, "x-kind": kind}


def _drop(package: dict[str, Any], schema: dict[str, Any], name: str) -> None:
    package["fields"].pop(name, None)
    schema.get("properties", {}).pop(name, None)
    schema["required"] = [r for r in schema.get("required", []) if r != name]


def _refind(name: str, package: dict[str, Any], schema: dict[str, Any],
            pages: list[SamplePage], model: Model) -> str:
    """Drop the field's selector and look for it again: with the model when there is one, else
    with the analysis (which must come up with another selector)."""
    old = package["fields"][name]
    kind = builds.field_kind(schema, package, name)
    _drop(package, schema, name)
    found = (_model_repair(model, name, kind, old, package, pages)
             or _analysis_refind(model.plan, name, kind, old, package, pages))
    if found is None:
        return (f"{name}: no other place for it was found, so it is left out; paste a value "
                "you see on a page with 'Add a field from an example value'")
    spec, prop, how = found
    package["fields"][name] = spec
    schema.setdefault("properties", {})[name] = prop
    return f"{name} found again ({how})"


def _analysis_refind(plan: BuildPlan, name: str, kind: FieldKind, old: dict[str, Any],
                     package: dict[str, Any], pages: list[SamplePage]) -> Refound | None:
    try:
        proposal = propose(plan.objective, pages, start_from=package,
                           extra_fields=[WantedField(name=name, type=kind)], avoid={name: [old]})
    except ScrapeDeckError:
        return None
    spec = proposal.package.get("fields", {}).get(name)
    if spec is None or spec == old:
        return None
    prop = proposal.schema.get("properties", {}).get(name, builds.FIELD_KINDS[kind][0])
    return spec, prop, proposal.field_sources.get(name, "analysis")


def _from_example(name: str, value: str, package: dict[str, Any], schema: dict[str, Any],
                  pages: list[SamplePage]) -> str:
    """A new field, or (when ``name`` exists) a corrected one, from a value seen on a page."""
    exists = name in package.get("fields", {})
    match = find_field_for_example(pages, value, package)
    if match is None:
        kept = f"{name} is unchanged" if exists else "no field was added"
        return (f"{name}: '{value[:80]}' is on no sample page, so {kept}; copy the value "
                "exactly as the page shows it")
    spec, kind = match.field, _kind_of_spec(match.field)
    hits = sum(v is not None for v in match.values)
    if exists:  # a corrected field keeps its kind when the new place gives values of that kind
        spec, kind, hits = _keep_kind(name, builds.field_kind(schema, package, name), spec, kind,
                                      hits, package, pages)
    package["fields"][name] = spec
    schema.setdefault("properties", {})[name] = {**builds.FIELD_KINDS[kind][0], "x-kind": kind}
    done = f"corrected {name}" if exists else f"added {name}"
    return f"{done} from the example ({match.source}); it finds a value on " \
           f"{hits} of {len(match.values)} samples"


def _keep_kind(name: str, wanted: FieldKind, spec: dict[str, Any], kind: FieldKind, hits: int,
               package: dict[str, Any],
               pages: list[SamplePage]) -> tuple[dict[str, Any], FieldKind, int]:
    """``spec`` with the transforms of the field's old kind (the pasted "Rated 4.5 out of 5"
    keeps a rating a number), if it finds as many values that way; else as found."""
    if wanted == kind or wanted not in builds.FIELD_KINDS:
        return spec, kind, hits
    typed = copy.deepcopy(spec)
    _retype(typed, {}, name, wanted)
    try:
        typed_hits = run_samples({**package, "fields": {**package["fields"], name: typed}},
                                 pages).fields[name].hits
    except (ScrapeDeckError, KeyError):
        return spec, kind, hits
    return (typed, wanted, typed_hits) if typed_hits >= hits else (spec, kind, hits)


def _kind_of_spec(spec: dict[str, Any]) -> FieldKind:
    return builds.field_kind({}, {"fields": {"f": spec}}, "f")


# --- The optional language model ---------------------------------------------------------------

class Model:
    """The user's language model for one build step, when they configured one.

    Every call runs outside any transaction; its tokens go to the cost ledger with the build's
    id, and its trouble (unreachable, timeout, garbage) becomes a note and an event: the build
    keeps what it had and goes on without the model."""

    def __init__(self, database: Database, plan: BuildPlan) -> None:
        self.database, self.plan = database, plan
        self._config: ProviderConfig | None = None
        self._looked = False

    def _configured(self) -> ProviderConfig | None:
        if not self._looked:
            from core import llm

            self._looked = True
            with self.database.transaction() as session:
                try:
                    self._config = llm.provider_for(session, self.plan.user_id)
                except llm.ModelError as exc:  # the stored key cannot be read any more
                    self.plan.notes.append(f"The language model was not used: {exc}")
        return self._config

    @property
    def available(self) -> bool:
        return self._configured() is not None

    def ask(self, what: str, call: Callable[[ChatClient], tuple[T, Usage]]) -> T | None:
        """``call(client) -> (answer, usage)``; the answer, or None when the model failed."""
        from core import llm

        config = self._configured()
        if config is None:
            return None
        answer: T | None = None
        usage: Usage | None = None
        error: str | None = None
        try:
            with llm.client_for(config) as client:
                answer, usage = call(client)
        except llm.ModelError as exc:
            usage, error = exc.usage, str(exc)
            self.plan.notes.append(f"The language model could not {what} ({error}); the build "
                                   "went on without it.")
        with self.database.transaction() as session:
            if usage is not None:
                llm.record_usage(session, self.plan.user_id, usage, build_id=self.plan.build_id)
            # The model helps propose fields in the analysis, and reads feedback after it.
            node = "propose" if self.plan.status == BuildStatus.PENDING_ANALYSIS else "feedback"
            details = {"asked": what,
                       "tokens": (usage.input_tokens + usage.output_tokens) if usage else 0}
            builds.record_event(session, self.plan.build_id, timeline.Failure(
                node=node, error=error, extra=details) if error else timeline.Handoff(
                node=node, target=timeline.HandoffTarget.MODEL, extra=details))
            _spent(session, self.plan)
            _beat(session, self.plan.build_id)
        _stop_if_over(self.plan)
        return answer


def _digest(pages: list[SamplePage]) -> str:
    """What a sample page says, in plain text, for a prompt (the model gets a clipped copy)."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(pages[0].html)
    title = tree.css_first("title")
    body = tree.body.text(separator=" ", strip=True) if tree.body else ""
    return f"URL: {pages[0].url}\nTitle: {title.text(strip=True) if title else ''}\n{body}"


def _model_fields(model: Model, plan: BuildPlan, pages: list[SamplePage]) -> list[WantedField]:
    """Extra fields the model suggests for the objective (none without a model)."""
    from core import llm

    if not model.available:
        return []
    fields = model.ask("suggest fields",
                       lambda client: llm.propose_fields(client, plan.objective, _digest(pages)))
    if not fields:
        return []
    wanted = {f.name for f in wanted_fields(plan.objective)}
    extra = [WantedField(name=f["name"], type=f["type"], description=f.get("description", ""))
             for f in fields if f["name"] not in wanted]
    if extra:
        plan.notes.append("The language model suggested: " + ", ".join(f.name for f in extra))
    return extra


def _model_repair(model: Model, name: str, kind: FieldKind, old: dict[str, Any],
                  package: dict[str, Any], pages: list[SamplePage]) -> Refound | None:
    """A new spec for a field marked wrong, from the model, kept only if it finds values."""
    from core import llm

    if not model.available:
        return None
    container = package.get("container") if isinstance(package.get("container"), str) else None
    snippet = _snippet(pages[0].html, container)
    spec = model.ask(f"repair {name}", lambda client: llm.repair_field(
        client, name, kind, snippet, old, container=container))
    if not spec or spec == old:
        return None
    trial = {**package, "fields": {**package.get("fields", {}), name: spec}}
    try:
        hits = run_samples(trial, pages).fields[name].hits
    except (ScrapeDeckError, KeyError):
        hits = 0
    if not hits:
        model.plan.notes.append(f"The model's selector for {name} found nothing on the "
                                "samples, so it was not used.")
        return None
    return spec, {**builds.FIELD_KINDS.get(kind, builds.FIELD_KINDS[FieldKind.STRING])[0],
                  "x-kind": kind}, "repaired by the language model"


def _snippet(html: str, container: str | None) -> str:
    """The first record's HTML on a list page, else the page's body."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    node = tree.css_first(container) if container else None
    node = node or tree.body
    return (node.html if node is not None else None) or html


def _free_text(model: Model, text: str, package: dict[str, Any], schema: dict[str, Any],
               pages: list[SamplePage]) -> str:
    """Free-text feedback: the model turns it into operations, which are checked and applied
    like the ones from the page."""
    from core import llm

    if not model.available:
        return "free-text feedback was not applied: no language model is configured"
    kinds = list(builds.FIELD_KINDS)
    operations = model.ask("read your feedback", lambda client: llm.interpret_feedback(
        client, package, text, _digest(pages), kinds=kinds))
    if operations is None:
        return "free-text feedback was not applied: the model could not read it"
    if not operations:
        return "the model found nothing to change in your feedback"
    done = []
    for op in operations:
        problem = builds.check_operation(op, list(package.get("fields", {})), model=True)
        if problem or op.get("op") == "text":
            done.append(f"skipped the model's '{op.get('op')}' ({problem or 'not allowed'})")
            continue
        done.append(_apply(op, package, schema, pages, model))
    return "the model read your feedback as: " + "; ".join(done)


# --- Shared steps ------------------------------------------------------------------------------

def _run_samples(package: dict[str, Any], pages: list[SamplePage]) -> dict[str, Any]:
    try:
        report = run_samples(package, pages)
    except ScrapeDeckError as exc:
        raise BuildFailed(f"The package does not work on the samples: {exc}") from exc
    return report_to_dict(report, pages)


def report_to_dict(report: SampleReport, pages: list[SamplePage]) -> dict[str, Any]:
    """The sample report as stored: per field its hits and values, per page its records (the
    first ``MAX_RECORDS_KEPT``) and errors, and each page's short label for the table."""
    return {
        "fields": {name: {"hits": f.hits, "total": f.total, "values": f.values,
                          "flagged": f.flagged} for name, f in report.fields.items()},
        "records": {url: records[:MAX_RECORDS_KEPT] for url, records in report.records.items()},
        "record_counts": {url: len(records) for url, records in report.records.items()},
        "errors": report.errors,
        "pages": [{"url": p.url, "label": _label(p.url, i)} for i, p in enumerate(pages, 1)],
    }


def _label(url: str, number: int) -> str:
    if url.startswith(UPLOAD_PREFIX):
        return f"{number}. {url.removeprefix(UPLOAD_PREFIX)[:40]} (uploaded)"
    tail = url.rstrip("/").rsplit("/", 1)[-1] or url
    return f"{number}. {tail[:40]}"


def _new_iteration(database: Database, plan: BuildPlan, package: dict[str, Any],
                   schema: dict[str, Any], report: dict[str, Any], pages: list[SamplePage],
                   changes: list[str]) -> None:
    number = plan.iteration + 1
    flagged = [n for n, f in report["fields"].items() if f["flagged"]]
    with database.transaction() as session:
        session.add(BuildIteration(build_id=plan.build_id, number=number, package=package,
                                   output_schema=schema, sample_report=report,
                                   change_summary=changes))
        _set(session, plan, status=BuildStatus.PENDING_USER_FEEDBACK,
             temporary_config_package=package,
             output_schema=schema, package_results=report, iteration=number,
             pending_feedback=None, error_message=None, worker_id=None)
        builds.record_event(session, plan.build_id, timeline.StateTransition(
            to=BuildStatus.PENDING_USER_FEEDBACK, iteration=number,
            extra={"changes": changes, "flagged": flagged, "samples": len(pages)}))


def _set(session: Session, plan: BuildPlan, **values: Any) -> None:
    if "notes" not in values:
        values["notes"] = plan.notes
    session.execute(update(Build).where(Build.id == plan.build_id)
                    .values(heartbeat_at=utcnow(), updated_at=utcnow(), **values))


def _beat(session: Session, build_id: uuid.UUID) -> None:
    session.execute(update(Build).where(Build.id == build_id).values(heartbeat_at=utcnow()))


def _give_up(database: Database, plan: BuildPlan, message: str) -> BuildStatus:
    """A failed analysis fails the build; failed feedback keeps the last iteration."""
    with database.transaction() as session:
        if plan.status == BuildStatus.PROCESSING_FEEDBACK and plan.package:
            status = BuildStatus.PENDING_USER_FEEDBACK
            message = f"Your feedback could not be applied: {message} The previous iteration " \
                      "is kept."
        else:
            status = BuildStatus.FAILED
        _set(session, plan, status=status, error_message=message, pending_feedback=None,
             worker_id=None)
        builds.record_event(session, plan.build_id, timeline.Failure(to=status, error=message))
    return status


def _stopped(database: Database, plan: BuildPlan, reason: str) -> BuildStatus:
    """A budget stopped the build: it ends "stopped: budget reached", keeping its samples'
    events and costs, and its last iteration (feedback can be sent again once the budget is
    raised)."""
    message = (f"{reason}. What the build had is kept"
               + ("; send your feedback again once the budget allows." if plan.package else
                  "; start a new build once the budget allows."))
    with database.transaction() as session:
        _set(session, plan, status=BuildStatus.STOPPED_BUDGET, error_message=message,
             pending_feedback=None, worker_id=None)
        builds.record_event(session, plan.build_id, timeline.StateTransition(
            to=BuildStatus.STOPPED_BUDGET, extra={"reason": reason}))
    return BuildStatus.STOPPED_BUDGET


WORK = WorkKind(WorkName.BUILD, execute=execute_build, claim=builds.claim,
                claim_next=builds.claim_next, reap_stale=builds.reap_stale_builds)
