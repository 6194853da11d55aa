"""``python -m core``: schemas and users commands acting as a named user."""

import json
import os
import subprocess
import sys

import pytest

from core.settings import PROJECT_ROOT

ADMIN = "admin@example.com"  # created by `init` from app_env's ADMIN_EMAIL


def test_users_create_and_list(cli) -> None:
    status, out, _ = cli("--user", ADMIN, "users", "create", "ann@example.com", "--name", "Ann",
                         "--role", "viewer")
    assert status == 0 and "Created viewer ann@example.com with password" in out
    status, out, _ = cli("--user", ADMIN, "users", "list")
    assert "ann@example.com" in out and "viewer" in out


def test_schema_import_list_show_export_round_trip(cli, tmp_path) -> None:
    doc = {"name": "Product", "schema_definition": {"type": "object",
                                                    "properties": {"sku": {"type": "string"}}}}
    (tmp_path / "product.json").write_text(json.dumps(doc))
    status, out, _ = cli("--user", ADMIN, "schemas", "import", str(tmp_path / "product.json"))
    assert status == 0
    schema_id = out.strip().rsplit(" ", 1)[-1]
    assert "Product" in cli("--user", ADMIN, "schemas", "list")[1]
    shown = json.loads(cli("--user", ADMIN, "schemas", "show", schema_id)[1])
    assert (shown["version"], shown["owner"]) == (1, ADMIN)
    exported = json.loads(cli("--user", ADMIN, "schemas", "export", schema_id)[1])
    assert exported["schema_definition"] == doc["schema_definition"]


@pytest.mark.parametrize("args, message", [
    (("schemas", "list"), "Say who you act as"),
    (("--user", "ghost@example.com", "schemas", "list"), "No active user with email"),
    (("--user", ADMIN, "schemas", "show", "nope"), "Schema not found"),
    (("--user", ADMIN, "schemas", "import", "/no/such/file.json"), "Cannot read"),
    (("--user", ADMIN, "users", "create", "bad-email"), "not a valid email"),
])
def test_bad_input_exits_non_zero_with_a_message(cli, args, message) -> None:
    status, out, err = cli(*args)
    assert status == 1 and message in err and "Traceback" not in err


def test_an_invalid_schema_file_lists_its_problems(cli, tmp_path) -> None:
    (tmp_path / "bad.json").write_text('{"name": "X", "schema_definition": {"type": "objec"}}')
    status, _, err = cli("--user", ADMIN, "schemas", "import", str(tmp_path / "bad.json"))
    assert status == 1 and "$.type" in err


def test_viewers_cannot_import(cli, tmp_path) -> None:
    cli("--user", ADMIN, "users", "create", "vic@example.com", "--role", "viewer")
    (tmp_path / "s.json").write_text('{"name": "S", "schema_definition": {"type": "object"}}')
    status, _, err = cli("--user", "vic@example.com", "schemas", "import", str(tmp_path / "s.json"))
    assert status == 1 and "read-only" in err


def test_the_real_entry_point_prints_help_and_fails_cleanly(app_env) -> None:
    env = {**os.environ}
    for command in (["--help"], ["schemas", "--help"], ["users", "create", "--help"]):
        done = subprocess.run([sys.executable, "-m", "core", *command], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage: python -m core" in done.stdout
    done = subprocess.run([sys.executable, "-m", "core", "--user", "nobody@example.com", "schemas",
                           "list"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and done.stderr.strip().endswith(
        "error: No active user with email nobody@example.com.")
