"""``python -m core jobs``: create from a job file, list, show; bad files exit 1 with a message."""

import json
import os
import subprocess
import sys

import pytest

from core.platform.settings import PROJECT_ROOT

ADMIN = "admin@example.com"  # created by `init` from app_env's ADMIN_EMAIL
JOB = {
    "name": "Lamps",
    "target_urls": ["https://shop.example/lamps", "https://shop.example/desks"],
    "config_package": {"version": 1, "container": "div.product",
                       "fields": {"name": {"selector": "h2", "required": True}}},
    "pagination_type": "url_pattern",
    "pagination": {"pattern": "?page={page}", "first_page": 1, "last_page": 3},
    "options": {"max_pages": 3, "concurrency": 2},
    "schedule_cron": "0 6 * * 1-5",
    "schedule_timezone": "Europe/Berlin",
}


@pytest.fixture
def job_file(tmp_path):  # type: ignore[no-untyped-def]
    def write(doc: object, name: str = "job.json") -> str:
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


def create(cli, path: str) -> str:  # type: ignore[no-untyped-def]
    status, out, err = cli("--user", ADMIN, "jobs", "create", "--file", path)
    assert status == 0, err
    return out.splitlines()[0].rsplit(" ", 1)[-1]


def test_create_list_show(cli, job_file) -> None:
    status, out, _ = cli("--user", ADMIN, "jobs", "create", "--file", job_file(JOB))
    assert status == 0 and out.startswith("Created job 'Lamps' as ")
    assert "Next run: " in out and "(Europe/Berlin)" in out
    job_id = out.splitlines()[0].rsplit(" ", 1)[-1]
    status, out, _ = cli("--user", ADMIN, "jobs", "list")
    assert status == 0 and "Lamps" in out and job_id in out and "url_pattern" in out
    status, out, _ = cli("--user", ADMIN, "jobs", "show", job_id)
    shown = json.loads(out)
    assert (shown["id"], shown["owner"], shown["schema"]) == (job_id, ADMIN, None)
    assert len(shown["next_runs"]) == 5 and shown["next_runs"][0].endswith(("+01:00", "+02:00"))
    assert {key: shown[key] for key in JOB if key != "options"} == {
        key: value for key, value in JOB.items() if key != "options"}
    assert shown["options"]["max_pages"] == 3 and shown["options"]["respect_robots"] is True


def test_the_output_of_show_is_a_job_file(cli, job_file) -> None:
    job_id = create(cli, job_file(JOB))
    shown = cli("--user", ADMIN, "jobs", "show", job_id)[1]
    copy_id = create(cli, job_file(shown, "copy.json"))
    assert copy_id != job_id
    assert "Lamps" in cli("--user", ADMIN, "jobs", "list", "--search", "lamp")[1]


def test_a_file_with_bad_values_lists_every_problem_and_saves_nothing(cli, job_file) -> None:
    bad = JOB | {"target_urls": ["ftp://x.example/"], "schedule_cron": "61 * * * *",
                 "pagination": {"pattern": "/no-page-number"}, "options": {"concurrency": 0}}
    status, out, err = cli("--user", ADMIN, "jobs", "create", "--file", job_file(bad))
    assert status == 2 and out == ""
    assert err.startswith("error: The job was not saved:")
    for expected in ("target_urls: 'ftp://x.example/'", "schedule_cron: '61 * * * *'",
                     'pagination.pattern: must contain "{page}"',
                     "options.concurrency: must be from 1 to 64"):
        assert expected in err
    assert cli("--user", ADMIN, "jobs", "list")[1].strip() == "(none)"


@pytest.mark.parametrize("content, message", [
    ('{"name": "Lamps",', "The job file is not valid JSON: line 1, column 18"),
    ('{"nmae": "Lamps"}', "nmae: unknown key; did you mean 'name'?"),
    ("[]", "The job file must be a JSON object"),
])
def test_a_malformed_file_exits_1_with_a_message(cli, job_file, content, message) -> None:
    status, _, err = cli("--user", ADMIN, "jobs", "create", "--file", job_file(content))
    assert status == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (("jobs", "create", "--file", "/no/such/job.json"), "Cannot read /no/such/job.json"),
    (("jobs", "show", "not-an-id"), "Job not found"),
])
def test_missing_things_exit_1(cli, args, message) -> None:
    status, _, err = cli("--user", ADMIN, *args)
    assert status == 2 and message in err


def test_viewers_cannot_create_jobs(cli, job_file) -> None:
    cli("--user", ADMIN, "users", "create", "vic@example.com", "--role", "viewer")
    status, _, err = cli("--user", "vic@example.com", "jobs", "create", "--file", job_file(JOB))
    assert status == 2 and "read-only" in err


def test_help_is_everywhere(app_env) -> None:
    for command in (["jobs", "--help"], ["jobs", "create", "--help"], ["jobs", "list", "--help"],
                    ["jobs", "show", "--help"]):
        done = subprocess.run([sys.executable, "-m", "core", *command], cwd=PROJECT_ROOT,
                              env={**os.environ}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage: python -m core jobs" in done.stdout


def test_the_readme_job_file_creates_a_job(cli, job_file) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("### Job file", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    doc = json.loads(example) | {"extractor_schema_id": None}  # its schema id is made up
    status, out, err = cli("--user", ADMIN, "jobs", "create", "--file", job_file(doc))
    assert status == 0, err
    assert out.startswith("Created job 'Lamps'")
