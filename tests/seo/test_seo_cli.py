"""``python -m core seo audit URL [--json]``: no database, no user; JSON with every audit, or a
human report with the score and the failed audits, most points recoverable first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.seo.server import SeoServer

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALLOW_PRIVATE_ADDRESSES": "true", "SCRAPEDECK_DATA_DIR": str(data_dir),
           "DATABASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_json_lists_every_audit_with_id_verdict_weight_and_evidence(
        seo_server: SeoServer, tmp_path: Path) -> None:
    done = run_cli("seo", "audit", seo_server.url("/pages/bad.html"), "--json",
                   data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    audits = {a["id"]: a for a in doc["audits"]}
    assert {"is-crawlable", "document-title", "meta-description", "http-status-code",
            "link-text", "crawlable-anchors", "robots-txt", "image-alt", "hreflang",
            "canonical", "structured-data"} <= set(audits)
    assert all({"verdict", "weight", "evidence", "points_recoverable"} <= set(a)
               for a in audits.values())
    assert audits["is-crawlable"]["weight"] == 4.043
    assert audits["is-crawlable"]["evidence"][0]["user_agent"] == "*"
    assert doc["score"] == 23
    assert not any(tmp_path.iterdir())  # no database was created


def test_human_output_puts_the_biggest_fix_first(seo_server: SeoServer, tmp_path: Path) -> None:
    done = run_cli("seo", "audit", seo_server.url("/pages/bad.html"), data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("Score (Lighthouse SEO weighting): 23/100")
    fixes = [line for line in lines if line.startswith("  [")]
    assert fixes[0].startswith("  [+31 pts] is-crawlable")  # 4.043 / 13.043 of the score
    assert any(line.startswith("      → ") for line in lines)  # recommendations
    assert fixes[-1].startswith("  [additional check]")
    # Last, in words, where the score can still differ from Lighthouse's (as on the audit page).
    differences = done.stdout.split("How this compares with Lighthouse 12.8.2")[1]
    assert "  - Scripts. Lighthouse runs the page's scripts;" in differences
    assert "  - Structured data. Lighthouse's structured-data audit is manual" in differences


def test_a_page_that_cannot_be_audited_exits_1_with_the_reason(seo_server: SeoServer,
                                                                tmp_path: Path) -> None:
    done = run_cli("seo", "audit", seo_server.url("/pages/data.json"), "--json",
                   data_dir=tmp_path)
    assert done.returncode == 1
    assert json.loads(done.stdout)["not_checked"][0].startswith("is-crawlable: The page could "
                                                                "not be audited: not an HTML")
    assert done.stderr.startswith("error: The page could not be audited: not an HTML page "
                                  "(content-type: application/json)")


def test_an_invalid_url_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli("seo", "audit", "ftp://lamps.example/", data_dir=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: 'ftp://lamps.example/': only http and https URLs")


def test_human_output_says_where_scripts_can_change_lighthouse_counts(
        seo_server: SeoServer, tmp_path: Path) -> None:
    done = run_cli("seo", "audit", seo_server.url("/pages/script-links.html"), data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.split("Counts Lighthouse may see differently:")[1]
    assert "crawlable-anchors (pass): This page runs scripts (1 script file)" in out
    assert "--render on the command line" in out
