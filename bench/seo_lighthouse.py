"""ScrapeDeck's SEO audit next to real Lighthouse 12, on real pages served on 127.0.0.1.

    .venv/bin/python bench/seo_lighthouse.py                      # compare on the cached pages
    .venv/bin/python bench/seo_lighthouse.py --pages 210 --run-lighthouse   # fill the cache first
    .venv/bin/python bench/seo_lighthouse.py --show meta-description        # list the disagreements

Pages: real news and blog pages of ../shared/corpora/trafilatura-eval (gzip), ordered by a hash of
their file name (no choice of ours). Each is served on 127.0.0.1 (``/page/<n>.html``, with
``Content-Type: text/html`` and a robots.txt that allows everything) and audited by

- Lighthouse 12 from npm, installed once into bench/out/.lighthouse (gitignored), run with
  CHROME_PATH=/usr/lib/chromium/chromium (or $CHROMIUM_PATH), ``--only-categories=seo`` and
  Chromium restricted to loopback (``--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"``);
  about 16 s a page here, so each result is cached by the page's hash (and the Lighthouse version)
  under bench/out/.lighthouse/results/ and a rerun only runs ScrapeDeck;
- ScrapeDeck: ``python -m core seo audit URL --json``, one process a page, as a user runs it
  (read as served: "raw"); and ``… --render`` (the page loaded in Chromium as Lighthouse loads
  it) on every page where the raw audit differs from Lighthouse and on every 10th page
  (``--render all``: on every page; ``--render none``: not at all). Rendered, each process starts
  its own Chromium: several seconds a page.

Pages are split in two: "dev", the first DEV_PAGES pages in that order (the ones whose
differences were looked at while developing), and "unseen", all the others (only ever measured:
no rule was written from them). Printed: per scored audit, how often the
verdicts agree and, where both fail, how often the item counts are equal; the distribution of
the score difference (ScrapeDeck − Lighthouse); the same figures raw and rendered side by side on
the rendered pages (with ``--render all``, also the per-half tables of the rendered audits and
whether they meet the targets); timings of ``seo audit --help`` and of one audit.

Targets (issue 17): ≥ 99 % verdict agreement on every scored audit, equal item counts where both
fail, score within ±1 of Lighthouse on ≥ 95 % of pages, on ≥ 200 pages; ``seo audit --help``
under 0.5 s. Skips with a message when npm/node or Chromium is missing.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "trafilatura-eval"
CACHE = ROOT / "bench" / "out" / ".lighthouse"
RESULTS = CACHE / "results"
LIGHTHOUSE_SPEC = "lighthouse@12.8.2"
CHROME = os.environ.get("CHROMIUM_PATH") or "/usr/lib/chromium/chromium"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu "
                "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'")
ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
SCORED = ("is-crawlable", "document-title", "meta-description", "http-status-code", "link-text",
          "crawlable-anchors", "robots-txt", "image-alt", "hreflang", "canonical")
# The audits whose Lighthouse result lists the failing items (a table); the others say why in a
# sentence, so only their verdicts are compared.
ITEMISED = ("is-crawlable", "link-text", "crawlable-anchors", "robots-txt", "image-alt", "hreflang")
CPU_TIMES: list[float] = []  # CPU seconds of each ScrapeDeck process (the machine is shared)
TARGET_AGREE, TARGET_SCORE_WITHIN_1, TARGET_HELP_S, TARGET_PAGES = 0.99, 0.95, 0.5, 200


# ---- pages ---------------------------------------------------------------------------------

def corpus_pages() -> list[tuple[str, str]]:
    """Every page of the corpus as (hash key, file path), in hash order."""
    entries = json.loads((CORPUS / "evaldata.json").read_text(encoding="utf-8"))
    found: dict[str, Path] = {}
    for entry in entries.values():
        for folder in ("cache", "eval"):
            path = CORPUS / folder / f"{entry['file']}.gz"
            if path.exists():
                found[entry["file"]] = path
                break
    keyed = [(hashlib.sha256(name.encode()).hexdigest(), path) for name, path in found.items()]
    return [(key, str(path)) for key, path in sorted(keyed)]


DEV_PAGES = 100


def split_of(index: int) -> str:
    return "dev" if index < DEV_PAGES else "unseen"


def page_bytes(path: str) -> bytes:
    return gzip.decompress(Path(path).read_bytes())


# ---- the server ----------------------------------------------------------------------------

class Pages:
    def __init__(self) -> None:
        self.by_path: dict[str, bytes] = {}


def serve(pages: Pages, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/robots.txt":
                self._send(200, "text/plain", ROBOTS_TXT)
            elif path in pages.by_path:
                self._send(200, "text/html", pages.by_path[path])
            else:
                self._send(404, "text/html", b"<!doctype html><title>Not found</title>")

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- Lighthouse ----------------------------------------------------------------------------

def lighthouse_cli() -> Path | None:
    """Lighthouse's CLI script, installed into the cache folder on first use; None (with a
    message) when node/npm is missing."""
    script = CACHE / "node_modules" / "lighthouse" / "cli" / "index.js"
    if script.exists():
        return script
    if not shutil.which("npm") or not shutil.which("node"):
        print("SKIP Lighthouse: npm/node not found (Lighthouse 12 needs node ≥ 18.20).")
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"private": true}\n')
    print(f"Installing {LIGHTHOUSE_SPEC} into {CACHE} …", flush=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", LIGHTHOUSE_SPEC],
                   cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
    return script


def result_path(key: str, page: bytes) -> Path:
    digest = hashlib.sha256(page + LIGHTHOUSE_SPEC.encode() + ROBOTS_TXT).hexdigest()[:24]
    return RESULTS / f"{key[:12]}-{digest}.json"


def run_lighthouse(script: Path, url: str, out: Path) -> bool:
    """One Lighthouse run; keeps only what the comparison reads (the SEO audits and score)."""
    raw = out.with_suffix(".raw.json")
    env = dict(os.environ, CHROME_PATH=CHROME)
    command = ["node", str(script), url, "--quiet", "--only-categories=seo", "--output=json",
               f"--output-path={raw}", f"--chrome-flags={CHROME_FLAGS}",
               "--disable-full-page-screenshot"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    if done.returncode != 0 or not raw.exists():
        print(f"  Lighthouse failed on {url}: {done.stderr.strip()[-300:]}", flush=True)
        raw.unlink(missing_ok=True)
        return False
    report = json.loads(raw.read_text(encoding="utf-8"))
    raw.unlink()
    seo = report["categories"]["seo"]
    keep = {"lighthouseVersion": report["lighthouseVersion"], "finalUrl": report.get(
        "finalDisplayedUrl"), "runtimeError": report.get("runtimeError"),
        "score": seo["score"], "auditRefs": seo["auditRefs"],
        "audits": {ref["id"]: report["audits"][ref["id"]] for ref in seo["auditRefs"]}}
    out.write_text(json.dumps(keep), encoding="utf-8")
    return True


def fill_cache(pages: list[tuple[str, str]], port: int) -> None:
    script = lighthouse_cli()
    if script is None:
        return
    if not Path(CHROME).exists():
        print(f"SKIP Lighthouse: no Chromium at {CHROME} (set CHROMIUM_PATH).")
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    served = Pages()
    server = serve(served, port)
    try:
        todo = []
        for n, (key, path) in enumerate(pages):
            body = page_bytes(path)
            served.by_path[f"/page/{n}.html"] = body
            if not result_path(key, body).exists():
                todo.append((n, key, body))
        print(f"Lighthouse: {len(pages) - len(todo)} cached, {len(todo)} to run", flush=True)
        for done, (n, key, body) in enumerate(todo, 1):
            started = time.monotonic()
            ok = run_lighthouse(script, f"http://127.0.0.1:{port}/page/{n}.html",
                                result_path(key, body))
            print(f"  {done}/{len(todo)} page {n} {'ok' if ok else 'FAILED'} "
                  f"{time.monotonic() - started:.1f} s", flush=True)
    finally:
        server.shutdown()


# ---- ScrapeDeck ----------------------------------------------------------------------------

def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scrapedeck_cli(url: str, render: bool = False) -> tuple[dict | None, float]:
    """``python -m core seo audit URL --json [--render]`` as a user runs it: (its JSON,
    seconds)."""
    started = time.perf_counter()
    cpu_before = child_cpu()
    done = subprocess.run([sys.executable, "-m", "core", "seo", "audit", url, "--json",
                           *(["--render"] if render else [])],
                          cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env=dict(os.environ, ALLOW_PRIVATE_ADDRESSES="1"))
    elapsed = time.perf_counter() - started
    if not render:
        CPU_TIMES.append(child_cpu() - cpu_before)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        print(f"  ScrapeDeck failed on {url} (exit {done.returncode}): "
              f"{done.stderr.strip()[-300:]}", flush=True)
        return None, elapsed
    return json.loads(done.stdout), elapsed


def scrapedeck_in_process(url: str, render: bool = False) -> tuple[dict | None, float]:
    """The same audit without starting a process (``--in-process``: quicker while developing)."""
    sys.path.insert(0, str(ROOT))
    os.environ["ALLOW_PRIVATE_ADDRESSES"] = "1"
    from core.seo import audit_url, page_audit_to_dict

    started = time.perf_counter()
    return page_audit_to_dict(audit_url(url, render=render)), time.perf_counter() - started


# ---- the comparison ------------------------------------------------------------------------

def lighthouse_verdict(audit: dict) -> str:
    mode = audit.get("scoreDisplayMode")
    if mode == "notApplicable":
        return "not_applicable"
    if mode == "error" or audit.get("score") is None:
        return "error"
    return "pass" if audit["score"] >= 1 else "fail"


def lighthouse_items(audit: dict) -> int:
    return len((audit.get("details") or {}).get("items") or [])


def compare_page(lighthouse: dict, ours: dict) -> dict:
    by_id = {a["id"]: a for a in ours.get("audits", [])}
    row: dict = {"lh_score": None if lighthouse["score"] is None
                 else round(lighthouse["score"] * 100), "score": ours.get("score"), "audits": {}}
    for audit_id in SCORED:
        lh = lighthouse["audits"][audit_id]
        mine = by_id.get(audit_id) or {"verdict": "missing", "evidence": []}
        row["audits"][audit_id] = {
            "lh": lighthouse_verdict(lh), "ours": mine["verdict"],
            "lh_items": lighthouse_items(lh), "items": len(mine.get("evidence") or []),
            "lh_explanation": lh.get("explanation") or "", "details": mine.get("details", "")}
    return row


def percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:5.1f} %" if whole else "    –  "


def report(rows: list[tuple[str, dict]], label: str) -> bool:
    """Print the figures for ``rows``; True when every target is met."""
    n = len(rows)
    print(f"\n== {label}: {n} pages")
    if not n:
        return False
    ok = True
    print(f"{'audit':<20} {'verdicts agree':>16} {'both fail':>10} {'equal items':>16}")
    for audit_id in SCORED:
        cells = [row["audits"][audit_id] for _, row in rows]
        agree = sum(c["lh"] == c["ours"] for c in cells)
        both = [c for c in cells if c["lh"] == c["ours"] == "fail" and audit_id in ITEMISED]
        equal = sum(c["lh_items"] == c["items"] for c in both)
        ok &= agree / n >= TARGET_AGREE and equal == len(both)
        print(f"{audit_id:<20} {agree:>4}/{n:<4} {percent(agree, n)} {len(both):>10} "
              f"{equal:>4}/{len(both):<4} {percent(equal, len(both))}")
    diffs = [row["score"] - row["lh_score"] for _, row in rows
             if row["score"] is not None and row["lh_score"] is not None]
    within = sum(abs(d) <= 1 for d in diffs)
    histogram = Counter(diffs)
    print("score difference (ScrapeDeck − Lighthouse): "
          + ", ".join(f"{d:+d}: {histogram[d]}" for d in sorted(histogram)))
    if diffs:
        print(f"within ±1: {within}/{n} = {percent(within, n).strip()} (target ≥ "
              f"{TARGET_SCORE_WITHIN_1 * 100:.0f} %); exact: {histogram[0]}/{n}; mean "
              f"{statistics.mean(diffs):+.2f}")
    ok &= within / n >= TARGET_SCORE_WITHIN_1
    return ok


def differs(row: dict) -> bool:
    """ScrapeDeck and Lighthouse differ on the page: a verdict, an item count where both fail,
    or the score."""
    return row["score"] != row["lh_score"] or any(
        c["lh"] != c["ours"] or (c["lh"] == c["ours"] == "fail" and audit_id in ITEMISED
                                 and c["lh_items"] != c["items"])
        for audit_id, c in row["audits"].items())


def report_pair(pairs: list[tuple[str, dict, dict]], label: str) -> None:
    """The same figures, read as served (raw) and rendered (--render), on the same pages."""
    n = len(pairs)
    print(f"\n== {label}: {n} pages, read as served (raw) | rendered with --render")
    if not n:
        return
    print(f"{'audit':<20} {'verdicts agree':>23} {'equal items where both fail':>31}")
    for audit_id in SCORED:
        cells = []
        for side in (1, 2):
            audits = [row[side]["audits"][audit_id] for row in pairs]
            agree = sum(c["lh"] == c["ours"] for c in audits)
            both = [c for c in audits if c["lh"] == c["ours"] == "fail" and audit_id in ITEMISED]
            equal = sum(c["lh_items"] == c["items"] for c in both)
            cells.append((agree, len(both), equal))
        (ra, rb, re_), (ga, gb, ge) = cells
        print(f"{audit_id:<20} {ra:>4}/{n:<4}|{ga:>4}/{n:<4} {percent(ra, n)}|{percent(ga, n)}"
              f"   {re_:>3}/{rb:<3}|{ge:>3}/{gb:<3}")
    for side, name in ((1, "raw"), (2, "rendered")):
        diffs = [row[side]["score"] - row[side]["lh_score"] for row in pairs
                 if row[side]["score"] is not None and row[side]["lh_score"] is not None]
        histogram = Counter(diffs)
        within = sum(abs(d) <= 1 for d in diffs)
        print(f"score difference, {name:<8} (ScrapeDeck − Lighthouse): "
              + ", ".join(f"{d:+d}: {histogram[d]}" for d in sorted(histogram))
              + f"; within ±1: {within}/{n} = {percent(within, n).strip()}, exact "
              f"{histogram[0]}/{n}" + (f", mean {statistics.mean(diffs):+.2f}" if diffs else ""))
    raw, rendered = (sum(differs(row[side]) for row in pairs) for side in (1, 2))
    print(f"pages where ScrapeDeck differs from Lighthouse: raw {raw}, rendered {rendered}")


def show(rows: list[tuple[str, dict]], audit_id: str) -> None:
    for name, row in rows:
        cell = row["audits"][audit_id]
        if cell["lh"] != cell["ours"] or (cell["lh"] == "fail" and audit_id in ITEMISED
                                          and cell["lh_items"] != cell["items"]):
            print(f"  {name}: Lighthouse {cell['lh']} ({cell['lh_items']} items; "
                  f"{cell['lh_explanation']}) / ScrapeDeck {cell['ours']} ({cell['items']} "
                  f"items; {cell['details']})")


def timings() -> None:
    """``seo audit --help`` and one audit, each as a fresh process (median of 5)."""
    def median_run(command: list[str]) -> tuple[float, float]:
        runs, cpu = [], []
        for _ in range(5):
            started, cpu_before = time.perf_counter(), child_cpu()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
            runs.append(time.perf_counter() - started)
            cpu.append(child_cpu() - cpu_before)
        return statistics.median(runs), statistics.median(cpu)

    help_s, help_cpu = median_run([sys.executable, "-m", "core", "seo", "audit", "--help"])
    print(f"\n`python -m core seo audit --help`: {help_s:.2f} s wall, {help_cpu:.2f} s CPU "
          f"(median of 5; target < {TARGET_HELP_S} s) — "
          f"{'meets' if help_s < TARGET_HELP_S else 'MISSES'} it; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def compare(pages: list[tuple[str, str]], port: int, in_process: bool, only: str | None,
            show_audit: str | None, render: str, sample_every: int) -> int:
    served = Pages()
    rows: list[tuple[str, dict]] = []
    pairs: list[tuple[str, dict, dict]] = []
    audit_times: list[float] = []
    render_times: list[float] = []
    lighthouse_failed: list[str] = []
    audit = scrapedeck_in_process if in_process else scrapedeck_cli
    server = serve(served, port)
    try:
        for n, (key, path) in enumerate(pages):
            if only and split_of(n) != only:
                continue
            body = page_bytes(path)
            cached = result_path(key, body)
            if not cached.exists():
                continue
            lighthouse = json.loads(cached.read_text(encoding="utf-8"))
            if lighthouse.get("runtimeError") or lighthouse.get("score") is None:
                # Lighthouse could not audit the page (e.g. a script navigated away: "Unable to
                # identify the main resource"): nothing to compare with.
                lighthouse_failed.append(f"page {n} {Path(path).name}")
                continue
            url = f"http://127.0.0.1:{port}/page/{n}.html"
            served.by_path[f"/page/{n}.html"] = body
            ours, elapsed = audit(url)
            audit_times.append(elapsed)
            if ours is None:
                continue
            name = f"{split_of(n)} page {n} {Path(path).name}"
            row = compare_page(lighthouse, ours)
            rows.append((name, row))
            # Rendered: every page where the raw audit differs, and every sample_every-th page.
            if render == "all" or (render == "auto" and (differs(row) or n % sample_every == 0)):
                rendered, elapsed = audit(url, render=True)
                render_times.append(elapsed)
                if rendered is not None:
                    pairs.append((name, row, compare_page(lighthouse, rendered)))
    finally:
        server.shutdown()
    if show_audit:
        show(rows, show_audit)
        show([(name, rendered) for name, _, rendered in pairs], show_audit)
    if lighthouse_failed:
        print(f"Left out: {len(lighthouse_failed)} page(s) Lighthouse gave no score for: "
              + "; ".join(lighthouse_failed))
    met = met_rendered = True
    for label, part in (("dev pages (looked at while developing)", "dev"),
                        ("unseen pages (only measured)", "unseen")):
        if only in (None, part):
            met &= report([r for r in rows if r[0].startswith(part)], label)
    if only is None:
        met &= report(rows, "all pages, read as served (raw)")
    if render != "none":
        which = ("every page" if render == "all" else "every page where the raw audit "
                 f"differs from Lighthouse, and every {sample_every}th page")
        report_pair(pairs, f"rendered ({which})")
        if render == "all":  # every page rendered: the targets judged on the rendered audits
            rendered_rows = [(name, rendered) for name, _, rendered in pairs]
            for label, part in (("dev pages, rendered with --render", "dev"),
                                ("unseen pages, rendered with --render", "unseen")):
                if only in (None, part):
                    met_rendered &= report([r for r in rendered_rows if r[0].startswith(part)],
                                           label)
            met_rendered &= len(rendered_rows) >= TARGET_PAGES
        print("Lighthouse ran Chromium restricted to loopback; ScrapeDeck's Chromium was not, "
              "but " + ("this machine cannot reach outside hosts either." if no_outside_network()
                        else "THIS MACHINE REACHES OUTSIDE HOSTS: a page's outside scripts may "
                        "run in ScrapeDeck's render and not in Lighthouse's."))
    print("\nstructured-data is not compared: Lighthouse's is a manual audit (weight 0, no "
          "verdict), ScrapeDeck's validates what it finds and is not scored either.")
    met &= len(rows) >= TARGET_PAGES
    if audit_times:
        how = "in process" if in_process else "python -m core seo audit URL --json"
        print(f"\nOne audit ({how}, page served on 127.0.0.1): median "
              f"{statistics.median(audit_times):.2f} s, worst {max(audit_times):.2f} s over "
              f"{len(audit_times)} pages"
              + (f"; CPU median {statistics.median(CPU_TIMES):.2f} s" if CPU_TIMES else ""))
    if render_times:
        print(f"One rendered audit (--render, Chromium started per process unless in process): "
              f"median {statistics.median(render_times):.2f} s over {len(render_times)} pages")
    timings()
    print(f"\n{len(rows)} pages compared (target ≥ {TARGET_PAGES}); targets "
          f"{'met' if met else 'NOT all met'} (read as served)"
          + (f"; {'met' if met_rendered else 'NOT all met'} rendered with --render (every "
             f"page)." if render == "all" else "."))
    return 0


def no_outside_network() -> bool:
    """Whether outside host names cannot be resolved here (then Chromium's outside requests fail
    as Lighthouse's loopback-only ones do)."""
    try:
        socket.getaddrinfo("example.com", 443)
    except OSError:
        return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=210, help="how many pages (default 210)")
    parser.add_argument("--port", type=int, default=18917, help="port of the page server for Lighthouse "
                        "(ScrapeDeck's runs use the next one)")
    parser.add_argument("--run-lighthouse", action="store_true",
                        help="run Lighthouse on the pages not cached yet (16 s a page)")
    parser.add_argument("--only", choices=("dev", "unseen"), help="compare on one half only")
    parser.add_argument("--show", metavar="AUDIT", help="list the pages where AUDIT differs")
    parser.add_argument("--in-process", action="store_true",
                        help="audit in this process instead of one CLI process a page")
    parser.add_argument("--render", choices=("auto", "all", "none"), default="auto",
                        help="also audit with --render: auto (default) on every page where the "
                        "raw audit differs from Lighthouse and a sample; all; or none")
    parser.add_argument("--sample-every", type=int, default=10, metavar="K",
                        help="with --render auto, also every K-th page (default 10)")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"SKIP: no corpus at {CORPUS}.")
        return 0
    pages = corpus_pages()[:args.pages]
    if args.run_lighthouse:
        fill_cache(pages, args.port)
        return 0
    if not RESULTS.exists() and lighthouse_cli() is None:
        return 0
    return compare(pages, args.port + 1, args.in_process, args.only, args.show, args.render,
                   max(1, args.sample_every))


if __name__ == "__main__":
    sys.exit(main())
