"""Markdown and HTML in every text a page shows: what users and sites write is shown as text.

Two proofs: a scan of every Streamlit call in pages/ and ui/ that renders Markdown (its body or
label must be a literal, or go through ``ui.text.plain``), and pages rendered with hostile names
and messages, whose Markdown, rendered as CommonMark, gives back the hostile text literally (no
link, no image, no colour, no formula, no HTML).
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from core.platform.settings import PROJECT_ROOT, get_settings
from core.scraping import runs
from db.models import Run, ScrapingJob
from core.accounts.users import normalise_email
from tests.pages.conftest import app, shown, sign_in  # noqa: F401 - app is a fixture
from ui.text import SPLIT, plain

HOSTILE = ("[x](http://127.0.0.1:9/beacon) ![i](http://127.0.0.1:9/p.png) :red[x] $x^2$ "
           "<img src=http://127.0.0.1:9/h.png> &amp; **b** _i_ `c` # h ~~s~~ :material/home:")

# Calls whose first argument (or label/body/help) Streamlit renders as Markdown.
MARKDOWN_CALLS = {"markdown", "write", "caption", "info", "error", "warning", "success", "toast",
                  "subheader", "header", "title", "expander", "tabs", "metric", "popover",
                  "status", "button", "checkbox", "toggle", "download_button", "link_button",
                  "page_link", "radio", "form_submit_button", "exception", "badge", "html"}
SAFE_CALLS = {"plain", "len"}  # len: a number


def _safe(node: ast.AST, local_functions: dict[str, ast.FunctionDef]) -> bool:
    """A literal; ``plain(…)``; a number formatted with a format spec; a developer constant
    (an ALL_CAPS table); a module function whose every return is safe; or made of these."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in SAFE_CALLS:
            return True
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id.isupper():
            return True  # STATUS_ICONS.get(...)
        if isinstance(func, ast.Attribute) and func.attr == "join" and \
                isinstance(func.value, ast.Constant) and len(node.args) == 1 and \
                isinstance(node.args[0], ast.GeneratorExp):
            return _safe(node.args[0].elt, local_functions)
        if isinstance(func, ast.Name) and func.id in local_functions:
            returns = [n.value for n in ast.walk(local_functions[func.id])
                       if isinstance(n, ast.Return) and n.value is not None]
            return bool(returns) and all(_safe(r, {}) for r in returns)
        return False
    if isinstance(node, ast.Name) and node.id.isupper():
        return True  # a developer's constant: LIGHTHOUSE_VERSION
    if isinstance(node, ast.Attribute) and node.attr.isupper():
        return True  # view.RAW_CSV_HELP
    if isinstance(node, ast.Attribute) and node.attr == "icon":
        return True  # a Term's Material shortcode (ui/vocabulary.py): plain() would break it
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and node.value.id.isupper()
    if isinstance(node, ast.JoinedStr):
        return all(_safe(v, local_functions) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return node.format_spec is not None or _safe(node.value, local_functions)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_safe(e, local_functions) for e in node.elts)
    if isinstance(node, ast.IfExp):
        return _safe(node.body, local_functions) and _safe(node.orelse, local_functions)
    if isinstance(node, ast.BinOp):
        return _safe(node.left, local_functions) and _safe(node.right, local_functions)
    return False


def unsafe_markdown_calls(source: str) -> list[str]:
    tree = ast.parse(source)
    local = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in MARKDOWN_CALLS):
            continue
        shown = [*node.args[:1], *(k.value for k in node.keywords
                                   if k.arg in ("body", "label", "help"))]
        found += [f"line {node.lineno}: {node.func.attr}({ast.unparse(arg)[:80]})"
                  for arg in shown if not _safe(arg, local)]
    return found


UI_FILES = sorted([*PROJECT_ROOT.glob("pages/*.py"), *PROJECT_ROOT.glob("ui/*.py"),
                   PROJECT_ROOT / "app.py"])


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_markdown_call_shows_dynamic_text_through_plain(path: Path) -> None:
    assert unsafe_markdown_calls(path.read_text(encoding="utf-8")) == []


def test_the_scan_catches_the_calls_it_is_for() -> None:
    caught = unsafe_markdown_calls(
        "st.subheader(f'{run.job_name} — {run.status}')\n"
        "st.error(str(exc))\nline.caption(note)\nst.expander(label)\n"
        "st.tabs([f'Errors ({n})'])\nst.button('x', help=url)\n")
    assert len(caught) == 6
    assert unsafe_markdown_calls(
        "st.subheader(f'{plain(run.job_name)} — {n:,}')\nst.error(plain(str(exc)))\n"
        "st.caption('literal')\nst.tabs([f'Errors ({len(rows)})'])\n") == []


# --- plain(): rendered as CommonMark, the text comes back as it was ----------------------------

COMMONMARK = MarkdownIt("commonmark").enable("strikethrough")


def rendered_text(markdown: str) -> str:
    """The Markdown rendered, then its visible text (asserting no element but paragraphs).
    CommonMark has no directives: ``plain``'s empty ``:small[]`` is taken out first, as
    Streamlit shows it (an empty span: tests/browser/test_schemas_flow.py)."""
    out = COMMONMARK.render(markdown.replace(SPLIT, ""))
    tags = set(re.findall(r"</?([a-z0-9]+)", out))
    assert tags <= {"p", "br"}, f"rendered as {tags}: {out}"
    return html.unescape(re.sub(r"<br />\n?|</p>\n?<p>", "\n", re.sub(r"^<p>|</p>\n$", "", out)))


@pytest.mark.parametrize("text", [
    HOSTILE, "line one\nline two", "\\[not escaped\\]", "1. not a list", "- nor this",
    "> nor a quote", "    nor code", "<script>alert(1)</script>", "a\\", "=HYPERLINK(\"x\")",
])
def test_plain_text_renders_as_itself(text: str) -> None:
    # (CommonMark drops a paragraph's indentation: that is all that is lost)
    assert rendered_text(plain(text)).replace("\u00a0", " ").lstrip() == text.lstrip()


def test_without_plain_the_hostile_text_would_be_markup() -> None:
    assert "<a href" in COMMONMARK.render(HOSTILE) and "<img" in COMMONMARK.render(HOSTILE)


def test_colour_formula_and_icon_syntax_lose_their_trigger_characters() -> None:
    """Streamlit's own syntax beyond CommonMark (``:red[…]``, ``$…$``, ``:material/…:``) starts
    with ``:`` or ``$``; every one of those is escaped, so none can start a directive or a
    formula."""
    escaped = plain(HOSTILE).replace(SPLIT, "")  # plain's own, the one directive it writes
    assert not re.search(r"(?<!\\)[:$\[]", escaped)


# remark-gfm's autolink literals (mdast-util-gfm-autolink-literal), found in each run of text
# once the escapes are read; and the runs of text plain() leaves between its empty spans
GFM_AUTOLINKS = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)|"
                           r"(?<![^\s\W_])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.IGNORECASE)


def text_runs(markdown: str) -> list[str]:
    return [shown(run) for run in markdown.split(SPLIT)]


@pytest.mark.parametrize("text", [
    "http://169.254.169.254/latest/meta-data", "HTTPS://x.example", "see www.example.com.",
    "ops@example.com", "mailto:a.b+c@mail.example.org", "(http://a.example) and www.b.example",
])
def test_no_run_of_text_holds_an_autolink_and_the_text_reads_the_same(text: str) -> None:
    assert GFM_AUTOLINKS.search(text)  # as written, it would be a link
    runs = text_runs(plain(text))
    assert not any(GFM_AUTOLINKS.search(run) for run in runs)
    assert "".join(runs) == text


# --- Pages rendering hostile text ----------------------------------------------------------------

@pytest.fixture
def hostile_run(db, analyst, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    with db.transaction() as session:
        job = ScrapingJob(user_id=analyst.id, name=HOSTILE, target_url="https://shop.example/",
                          target_urls=["https://shop.example/"],
                          config_package={"version": 1, "fields": {"t": {"selector": "h1"}}})
        session.add(job)
        session.flush()
        run = runs.start_run(session, analyst, job.id)
    with db.transaction() as session:
        row = session.get(Run, run.id)
        row.status, row.error_message = "failed", f"text/html; charset={HOSTILE}"
    return run


def _markdown_bodies(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for kind in ("markdown", "caption", "subheader", "header", "title", "error",
                                 "warning", "info", "success")
            for e in getattr(at, kind)]


def test_the_runs_page_shows_a_hostile_job_name_and_error_literally(app, analyst,
                                                                     hostile_run) -> None:
    at = app(analyst.email).switch_page("pages/runs.py").run()
    assert not at.exception
    bodies = [b for b in _markdown_bodies(at) if "beacon" in b]
    assert len(bodies) >= 2, bodies  # the heading and the error banner
    for body in bodies:
        assert HOSTILE in rendered_text(body)
    assert at.dataframe[0].value.job.tolist() == [HOSTILE]  # a table cell is text already


def test_a_refusal_quoting_what_was_typed_is_shown_literally(app) -> None:
    """The lock message quotes the email typed into the sign-in form."""
    at = app()
    for _ in range(6):
        at = sign_in(at, HOSTILE, "wrong-password")
    [banner] = at.error
    assert rendered_text(banner.value).startswith(
        f"Too many failed sign-ins for {normalise_email(HOSTILE)}. Try again in")
