"""Importing keyword rankings and backlinks from the CSV files SEO tools export.

Rankings (``keyword_rankings``), the format told by the headers:

    Search Console performance   query | "Top queries", page | "Top pages", clicks, impressions,
                                 CTR ("3.2%"), position; a date column when the export has one
    Semrush organic positions    Keyword, Position, Previous position, URL, Search Volume…
    Ahrefs organic keywords      Keyword, Current position | Position, Current URL | URL, Volume…

Backlinks (``backlinks``):

    Ahrefs backlinks             Referring page URL, Target URL, Anchor, Nofollow | Type,
                                 Domain rating, UR, First seen, Last seen
    Semrush backlinks            Source url, Target url, Anchor, Nofollow, Page ascore,
                                 First seen, Last seen
    Search Console links         Linking page, Last crawled (the target is the site you name)

Files may be UTF-8 (with or without BOM) or UTF-16 (Ahrefs), separated by commas, semicolons or
tabs; numbers may have thousands separators ("1,234"), decimal commas ("3,2" in a semicolon file)
and percent signs. Every row is checked before anything is stored: a malformed file stores
nothing and the error names the row (as a spreadsheet numbers it, header = row 1) and column.

A file without a page column is about one site: the caller names it (``site_url``). A file
without a date is "as of" the day given (default today); importing the same file again for the
same day replaces those rows instead of doubling them.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.platform.access import Actor, require_writer
from core.platform.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

MAX_PROBLEMS = 10
MAX_BYTES = 20_000_000

# Header aliases (lower case, spaces collapsed) for each field.
RANKING_FIELDS: dict[str, tuple[str, ...]] = {
    "keyword": ("query", "queries", "top queries", "keyword", "search query", "keywords"),
    "page": ("page", "pages", "top pages", "url", "current url", "landing page", "address",
             "landing pages"),
    "clicks": ("clicks", "traffic", "url clicks"),
    "impressions": ("impressions",),
    "ctr": ("ctr", "url ctr"),
    "position": ("position", "current position", "average position", "avg. position", "rank",
                 "pos"),
    "previous_position": ("previous position", "previous pos"),
    "date": ("date", "day", "checked at"),
    "country": ("country", "location"),
}
BACKLINK_FIELDS: dict[str, tuple[str, ...]] = {
    "source": ("referring page url", "source url", "linking page", "source", "url from",
               "referring url", "referring page", "backlink url"),
    "target": ("target url", "target", "url to", "destination url", "target page"),
    "anchor": ("anchor", "anchor text", "link anchor"),
    "nofollow": ("nofollow", "no follow", "is nofollow"),
    "type": ("type", "link type"),
    "domain_rating": ("domain rating", "dr", "domain ascore", "authority score"),
    "page_authority": ("ur", "url rating", "page ascore", "page authority"),
    "first_seen": ("first seen", "first found", "first indexed"),
    "last_seen": ("last seen", "last crawled", "last check", "last checked"),
    "lost": ("lost", "lost link", "lost date"),
}


@dataclass(frozen=True)
class ImportSummary:
    kind: str  # "rankings" | "backlinks"
    format: str  # which tool's export it was read as
    rows: int  # rows stored (new or updated)
    replaced: int  # of which replaced rows from an earlier import


# --- Reading a CSV file -------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    headers: list[str]  # normalised
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, cells by header)
    delimiter: str


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("The file is not text (UTF-8, UTF-16 or Windows-1252).")


def _norm_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').lower().split())


def read_table(data: bytes) -> Table:
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    text = _decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ValidationError("The file is empty.")
    delimiter = max("\t;,", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        records = [r for r in reader]
    except csv.Error as exc:
        raise ValidationError(f"The file is not a readable CSV: {exc}.") from exc
    header_at = next(i for i, r in enumerate(records) if any(c.strip() for c in r))
    headers = [_norm_header(h) for h in records[header_at]]
    rows = []
    for index, record in enumerate(records[header_at + 1:], start=header_at + 2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(headers) and any(c.strip() for c in record[len(headers):]):
            raise ValidationError(f"Row {index} has {len(record)} cells but the header has "
                                  f"{len(headers)} columns; the file is malformed. Nothing "
                                  "was imported.")
        rows.append((index, {h: (record[i].strip() if i < len(record) else "")
                             for i, h in enumerate(headers)}))
    return Table(headers=headers, rows=rows, delimiter=delimiter)


def _columns(table: Table, fields: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Which header holds each field (the first alias found wins)."""
    found: dict[str, str] = {}
    for name, aliases in fields.items():
        for alias in aliases:
            if alias in table.headers:
                found[name] = alias
                break
    return found


# --- Cell values -------------------------------------------------------------------------------

class _CellError(ValueError):
    pass


def parse_number(raw: str, delimiter: str = ",") -> float | None:
    """ "1,234" → 1234; "3,2" in a semicolon file → 3.2; "3.2%" → 3.2; "" or "-" → None."""
    text = raw.replace("\u00a0", "").replace(" ", "").replace("%", "").strip()
    if text in ("", "-", "—", "n/a", "N/A"):
        return None
    if "," in text and "." in text:  # the later one is the decimal point
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") \
            else text.replace(",", "")
    elif "," in text:
        thousands = re.fullmatch(r"-?\d{1,3}(,\d{3})+", text)
        text = text.replace(",", "") if thousands and delimiter != ";" else \
            text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise _CellError(f"'{raw}' is not a number") from None


def parse_ctr(raw: str, delimiter: str) -> float | None:
    """A click-through rate as a fraction: "3.2%" → 0.032; "0.032" → 0.032."""
    value = parse_number(raw, delimiter)
    if value is None:
        return None
    return value / 100 if "%" in raw or value > 1 else value


def parse_date(raw: str) -> datetime | None:
    text = raw.strip()
    if not text or text in ("-", "—"):
        return None
    for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y"),
                  lambda t: datetime.strptime(t, "%d.%m.%Y"),
                  lambda t: datetime.strptime(t, "%b %d, %Y")):
        try:
            value = parse(text)
            break
        except ValueError:
            continue
    else:
        raise _CellError(f"'{raw}' is not a date (use YYYY-MM-DD)")
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_bool(raw: str) -> bool | None:
    text = raw.strip().lower()
    if text in ("true", "yes", "1", "y", "nofollow"):
        return True
    if text in ("false", "no", "0", "n", "", "dofollow", "follow"):
        return False if text else None
    raise _CellError(f"'{raw}' is not true or false")


def _check_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _CellError(f"'{raw}' is not an http(s) URL")
    return raw.strip()


@dataclass
class _Problems:
    items: list[str]

    def cell(self, row: int, column: str, convert: Callable[[str], Any], raw: str) -> Any:
        try:
            return convert(raw)
        except _CellError as exc:
            self.items.append(f"row {row}, column '{column}': {exc}")
            return None

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:MAX_PROBLEMS]
            more = len(self.items) - len(shown)
            raise ValidationError(
                "The file has errors; nothing was imported.",
                shown + ([f"… and {more} more"] if more else []))


# --- Rankings ----------------------------------------------------------------------------------

def ranking_format(columns: dict[str, str], headers: list[str]) -> str:
    if "impressions" in columns:
        return "search_console"
    if "previous_position" in columns or "search volume" in headers:
        return "semrush"
    if "volume" in headers or "current position" in headers or "kd" in headers:
        return "ahrefs"
    return "csv"


def import_rankings(session: Session, actor: Actor, data: bytes, *, site_url: str = "",
                    as_of: date | None = None) -> ImportSummary:
    """Store the rankings of a CSV export (see the module docstring); all rows or none."""
    require_writer(actor)
    table = read_table(data)
    columns = _columns(table, RANKING_FIELDS)
    if "keyword" not in columns or not ({"position", "clicks"} & columns.keys()):
        raise ValidationError(
            "These columns are not a rankings export: a query/keyword column and a position or "
            f"clicks column are needed (found: {', '.join(table.headers) or 'none'}).")
    if "page" not in columns and not site_url.strip():
        raise ValidationError("This export has no page column: say which site it is about.")
    default_url = _check_site(site_url) if site_url.strip() else ""
    day = datetime.combine(as_of or datetime.now(timezone.utc).date(), time(),
                           tzinfo=timezone.utc)
    problems, parsed = _Problems([]), []
    number = lambda raw: parse_number(raw, table.delimiter)  # noqa: E731
    for index, cells in table.rows:
        get = lambda field: cells.get(columns.get(field, ""), "")  # noqa: E731
        keyword = get("keyword")
        if not keyword:
            problems.items.append(f"row {index}, column '{columns['keyword']}': empty keyword")
            continue
        row = dict(
            keyword=keyword,
            url=problems.cell(index, columns.get("page", ""), _check_url, get("page"))
            if get("page") else default_url,
            position=problems.cell(index, columns.get("position", ""), number, get("position")),
            previous_position=problems.cell(index, columns.get("previous_position", ""), number,
                                            get("previous_position")),
            clicks=problems.cell(index, columns.get("clicks", ""), number, get("clicks")),
            impressions=problems.cell(index, columns.get("impressions", ""), number,
                                      get("impressions")),
            ctr=problems.cell(index, columns.get("ctr", ""),
                              lambda raw: parse_ctr(raw, table.delimiter), get("ctr")),
            checked_at=problems.cell(index, columns.get("date", ""), parse_date,
                                     get("date")) or day,
            location=get("country") or None)
        if row["url"] is None:
            continue
        if row["url"] == "":
            problems.items.append(f"row {index}: no page URL; say which site the file is about")
            continue
        parsed.append(row)
    problems.raise_if_any()
    if not parsed:
        raise ValidationError("The file has a header but no rows; nothing was imported.")
    fmt = ranking_format(columns, table.headers)
    return ImportSummary("rankings", fmt, len(parsed), _store_rankings(session, actor, parsed,
                                                                      fmt))


def _check_site(site_url: str) -> str:
    try:
        return _check_url(site_url)
    except _CellError as exc:
        raise ValidationError(f"The site {exc}.") from None


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _store_rankings(session: Session, actor: Actor, rows: list[dict[str, Any]],
                    fmt: str) -> int:
    """Insert ``rows``, replacing stored rows of the same keyword, page and day. Each row's
    previous position is the file's own, else the latest earlier one known (stored or in this
    file). Reads and writes in batches: a file of thousands of rows is a few statements."""
    from db.models import KeywordRanking

    stored: dict[tuple[str, str], list[tuple[datetime, float | None, uuid.UUID]]] = \
        defaultdict(list)
    for chunk in _chunks(sorted({r["keyword"] for r in rows})):
        for found in session.execute(
                select(KeywordRanking.keyword, KeywordRanking.url, KeywordRanking.checked_at,
                       KeywordRanking.position, KeywordRanking.id)
                .where(KeywordRanking.user_id == actor.id, KeywordRanking.keyword.in_(chunk))):
            stored[(found.keyword, found.url)].append((found.checked_at, found.position,
                                                       found.id))
    incoming = {(r["keyword"], r["url"], r["checked_at"]) for r in rows}
    replaced = [i for (k, u), seen in stored.items() for at, _, i in seen if (k, u, at) in incoming]
    for chunk in _chunks(replaced):
        session.execute(delete(KeywordRanking).where(KeywordRanking.id.in_(chunk)))
    # Positions over time per keyword and page: what was stored (less the replaced) and the file.
    timeline: dict[tuple[str, str], list[tuple[datetime, float | None]]] = defaultdict(list)
    for key, seen in stored.items():
        timeline[key] += [(at, pos) for at, pos, _ in seen if (*key, at) not in incoming]
    for row in rows:
        timeline[(row["keyword"], row["url"])].append((row["checked_at"], row["position"]))
    values = []
    for row in rows:
        previous = row["previous_position"]
        if previous is None:
            earlier = [(at, pos) for at, pos in timeline[(row["keyword"], row["url"])]
                       if at < row["checked_at"] and pos is not None]
            previous = max(earlier)[1] if earlier else None
        position = row["position"]
        change = (previous - position) if previous is not None and position is not None else 0.0
        values.append(dict(
            id=uuid.uuid4(), user_id=actor.id, url=row["url"], keyword=row["keyword"],
            position=position, previous_position=previous, change=round(change, 2),
            page_url=row["url"], clicks=_int(row["clicks"]), impressions=_int(row["impressions"]),
            ctr=row["ctr"], source=fmt, checked_at=row["checked_at"],
            location=(row["location"] or "United States")[:100]))
    for chunk in _chunks(values, 1_000):
        session.execute(insert(KeywordRanking), chunk)
    return len(replaced)


def _int(value: float | None) -> int | None:
    return None if value is None else int(round(value))


# --- Backlinks ---------------------------------------------------------------------------------

def backlink_format(columns: dict[str, str], headers: list[str]) -> str:
    if "linking page" in headers:
        return "search_console"
    if "referring page url" in headers or "ur" in headers or "domain rating" in headers:
        return "ahrefs"
    if "page ascore" in headers or "source url" in headers:
        return "semrush"
    return "csv"


def import_backlinks(session: Session, actor: Actor, data: bytes, *,
                     target_url: str = "") -> ImportSummary:
    """Store the backlinks of a CSV export; a link already known (same source and target) is
    updated, not doubled. All rows or none."""
    require_writer(actor)
    table = read_table(data)
    columns = _columns(table, BACKLINK_FIELDS)
    if "source" not in columns:
        raise ValidationError(
            "These columns are not a backlinks export: a source/referring page URL column is "
            f"needed (found: {', '.join(table.headers) or 'none'}).")
    if "target" not in columns and not target_url.strip():
        raise ValidationError("This export has no target column: say which page or site the "
                              "links point to.")
    default_target = _check_site(target_url) if target_url.strip() else ""
    problems, parsed = _Problems([]), []
    number = lambda raw: parse_number(raw, table.delimiter)  # noqa: E731
    for index, cells in table.rows:
        get = lambda field: cells.get(columns.get(field, ""), "")  # noqa: E731
        source = problems.cell(index, columns["source"], _check_url, get("source"))
        target = problems.cell(index, columns.get("target", ""), _check_url, get("target")) \
            if get("target") else default_target
        nofollow = problems.cell(index, columns.get("nofollow", ""), parse_bool,
                                 get("nofollow"))
        if nofollow is None and get("type"):
            nofollow = "nofollow" in get("type").lower()
        row = dict(source=source, target=target, anchor=get("anchor") or None,
                   nofollow=bool(nofollow),
                   domain_rating=problems.cell(index, columns.get("domain_rating", ""), number,
                                               get("domain_rating")),
                   page_authority=problems.cell(index, columns.get("page_authority", ""),
                                                number, get("page_authority")),
                   first_seen=problems.cell(index, columns.get("first_seen", ""), parse_date,
                                            get("first_seen")),
                   last_seen=problems.cell(index, columns.get("last_seen", ""), parse_date,
                                           get("last_seen")),
                   lost=bool(get("lost")) and get("lost").lower() not in ("false", "no", "0"))
        if source and target:
            parsed.append(row)
        elif source and not target:
            problems.items.append(f"row {index}: no target URL")
    problems.raise_if_any()
    if not parsed:
        raise ValidationError("The file has a header but no rows; nothing was imported.")
    fmt = backlink_format(columns, table.headers)
    return ImportSummary("backlinks", fmt, len(parsed),
                         _store_backlinks(session, actor, parsed, fmt))


def _store_backlinks(session: Session, actor: Actor, rows: list[dict[str, Any]],
                     fmt: str) -> int:
    """Insert new links and update known ones (same source and target), in batches."""
    from db.models import Backlink

    known: dict[tuple[str, str], Backlink] = {}
    for chunk in _chunks(sorted({r["source"] for r in rows})):
        for link in session.scalars(select(Backlink).where(Backlink.user_id == actor.id,
                                                           Backlink.source_url.in_(chunk))):
            known[(link.source_url, link.target_url)] = link
    now, updated = datetime.now(timezone.utc), 0
    new: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        values = dict(
            source_domain=(urlsplit(row["source"]).hostname or "").removeprefix("www."),
            anchor_text=row["anchor"], is_do_follow=not row["nofollow"],
            is_active=not row["lost"], source=fmt, last_checked=now,
            last_seen=row["last_seen"] or now, domain_rating=_int(row["domain_rating"]) or 0,
            page_authority=_int(row["page_authority"]) or 0)
        key = (row["source"], row["target"])
        existing = known.get(key)
        if existing is not None:
            updated += 1
            if row["first_seen"] and row["first_seen"] < existing.first_seen:
                existing.first_seen = row["first_seen"]
            for name, value in values.items():
                setattr(existing, name, value)
        else:  # a link listed twice in one file: its last row wins
            new[key] = dict(id=uuid.uuid4(), user_id=actor.id, source_url=key[0],
                            target_url=key[1], first_seen=row["first_seen"] or now,
                            created_at=now, updated_at=now, **values)
    for chunk in _chunks(list(new.values()), 1_000):
        session.execute(insert(Backlink), chunk)
    return updated


# --- Reading back, for tables and charts --------------------------------------------------------

RANKING_COLUMNS = ["checked_at", "keyword", "url", "position", "previous_position", "change",
                   "clicks", "impressions", "ctr", "source"]


def ranking_history(session: Session, actor: Actor, keyword: str | None = None,
                    limit: int = 50_000) -> pd.DataFrame:
    """The actor's imported rankings, oldest first (one keyword's when given)."""
    import pandas as pd

    from db.models import KeywordRanking

    query = (select(KeywordRanking).where(KeywordRanking.user_id == actor.id)
             .order_by(KeywordRanking.checked_at, KeywordRanking.keyword).limit(limit))
    if keyword:
        query = query.where(KeywordRanking.keyword == keyword)
    rows = [(r.checked_at, r.keyword, r.url, r.position, r.previous_position, r.change, r.clicks,
             r.impressions, r.ctr, r.source) for r in session.scalars(query)]
    frame = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    # Missing numbers are NaN (blank in a table, skipped by charts), not None.
    numbers = ["position", "previous_position", "change", "clicks", "impressions", "ctr"]
    frame[numbers] = frame[numbers].astype("float64")
    return frame


def rankings_over_time(history: pd.DataFrame) -> pd.DataFrame:
    """Per day: total clicks and impressions, and the impression-weighted average position
    (Search Console's own way of averaging); a pure function of ``ranking_history``."""
    import pandas as pd

    if history.empty:
        return pd.DataFrame(columns=["day", "clicks", "impressions", "position"])
    frame = history.assign(day=pd.to_datetime(history.checked_at).dt.floor("D"),
                           weight=history.impressions.fillna(1).clip(lower=1))
    frame = frame.assign(weighted=frame.position * frame.weight)
    daily = frame.groupby("day", as_index=False).agg(
        clicks=("clicks", "sum"), impressions=("impressions", "sum"),
        weighted=("weighted", "sum"), weight=("weight", "sum"))
    daily["position"] = (daily.weighted / daily.weight).round(2)
    return daily[["day", "clicks", "impressions", "position"]]


BACKLINK_COLUMNS = ["source_url", "source_domain", "target_url", "anchor_text", "is_do_follow",
                    "is_active", "domain_rating", "first_seen", "last_seen", "source"]


def list_backlinks(session: Session, actor: Actor, limit: int = 10_000) -> pd.DataFrame:
    import pandas as pd

    from db.models import Backlink

    query = (select(Backlink).where(Backlink.user_id == actor.id)
             .order_by(Backlink.domain_rating.desc(), Backlink.first_seen).limit(limit))
    rows = [tuple(getattr(r, c) for c in BACKLINK_COLUMNS) for r in session.scalars(query)]
    return pd.DataFrame(rows, columns=BACKLINK_COLUMNS)

