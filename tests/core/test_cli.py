"""``python -m core``: schemas and users commands acting as a named user."""

import json
import os
import subprocess
import sys

import pytest

from core.platform.settings import PROJECT_ROOT

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
    assert status == 2 and message in err and "Traceback" not in err


def test_an_invalid_schema_file_lists_its_problems(cli, tmp_path) -> None:
    (tmp_path / "bad.json").write_text('{"name": "X", "schema_definition": {"type": "objec"}}')
    status, _, err = cli("--user", ADMIN, "schemas", "import", str(tmp_path / "bad.json"))
    assert status == 2 and "$.type" in err


def test_viewers_cannot_import(cli, tmp_path) -> None:
    cli("--user", ADMIN, "users", "create", "vic@example.com", "--role", "viewer")
    (tmp_path / "s.json").write_text('{"name": "S", "schema_definition": {"type": "object"}}')
    status, _, err = cli("--user", "vic@example.com", "schemas", "import", str(tmp_path / "s.json"))
    assert status == 2 and "read-only" in err


def test_the_real_entry_point_prints_help_and_fails_cleanly(app_env) -> None:
    env = {**os.environ}
    for command in (["--help"], ["schemas", "--help"], ["users", "create", "--help"]):
        done = subprocess.run([sys.executable, "-m", "core", *command], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage: python -m core" in done.stdout
    done = subprocess.run([sys.executable, "-m", "core", "--user", "nobody@example.com", "schemas",
                           "list"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and done.stderr.startswith(
        "error: No active user with email nobody@example.com.") and "Traceback" not in done.stderr


def test_a_command_without_user_on_a_new_database_creates_nothing_and_shows_no_password(
        app_env, capsys, monkeypatch) -> None:
    from core.cli import main
    from core.platform.database import open_database
    from db.models import User

    monkeypatch.delenv("ADMIN_PASSWORD")  # the first admin would get a generated password
    status = main(["schemas", "list"])
    _, err = capsys.readouterr()
    assert status == 2 and "Say who you act as" in err and "python -m core init" in err
    assert "password" not in err.lower()
    database = open_database(app_env, migrate=False)
    with database.transaction() as session:
        assert session.query(User).count() == 0
    database.dispose()


def test_someone_else_on_a_new_database_makes_no_admin_and_shows_no_password(
        app_env, capsys, monkeypatch) -> None:
    from core.cli import main
    from core.platform.database import open_database
    from db.models import User

    monkeypatch.delenv("ADMIN_PASSWORD")
    status = main(["--user", "nobody@example.com", "runs", "list"])
    _, err = capsys.readouterr()
    assert status == 2 and "No active user with email nobody@example.com" in err
    assert "python -m core init" in err and "password" not in err.lower()
    database = open_database(app_env, migrate=False)
    with database.transaction() as session:
        assert session.query(User).count() == 0
    database.dispose()


def test_help_says_which_commands_need_no_user(cli) -> None:
    status, out, _ = cli("--help")
    assert status == 0
    assert ("needed by every command except init, extract, seo audit and worker serve"
            in " ".join(out.split()))


def _modules_loaded_by(*argv: str) -> list[str]:
    """The command group modules (and whether SQLAlchemy) a fresh process loads for argv."""
    probe = ("import contextlib, io, sys\nfrom core.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    main({list(argv)!r})\n"
             "print(' '.join(sorted(m for m in sys.modules if m.startswith('core.cli.') "
             "or m == 'sqlalchemy')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_overall_help_lists_every_command_without_loading_one() -> None:
    assert _modules_loaded_by("--help") == []


def test_the_overall_help_shows_each_commands_one_line_help(capsys) -> None:
    from core.cli import COMMANDS, main

    assert main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name, (_, help_text) in COMMANDS.items():
        assert f"{name} {help_text}" in out


@pytest.mark.parametrize("argv, loaded", [
    (("worker", "--help"), ["core.cli.output", "core.cli.runs", "sqlalchemy"]),
    (("--user", ADMIN, "costs", "summary", "--help"), ["core.cli.costs", "sqlalchemy"]),
    (("init", "--help"), []),
    (("no-such-command",), []),
])
def test_a_command_loads_its_own_module_only(argv, loaded) -> None:
    assert _modules_loaded_by(*argv) == loaded
