"""The command line, run in-process against the test database."""

import pytest

from core.cli import main


@pytest.fixture
def cli(app_env, capsys):  # type: ignore[no-untyped-def]
    """``cli("--user", email, "schemas", "list")`` → (exit status, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err
    assert run("init")[0] == 0
    return run
