"""The README's configuration table lists every setting core/platform/settings.py reads."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from core.platform.settings import PROJECT_ROOT, Settings, load_settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def readme_table_variables() -> set[str]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize("env", [f.metadata["env"] for f in fields(Settings)])
def test_every_setting_is_in_the_readme_table(env: str) -> None:
    assert env in readme_table_variables(), f"{env} is missing from README's configuration table"


def test_readme_opens_with_the_two_commands() -> None:
    commands = re.findall(r"```bash\n(.+?)\n```", README, flags=re.DOTALL)[:2]
    assert commands[0].endswith("streamlit run app.py") and "core init" in commands[0]
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = re.findall(r"```bash\n(.+?)\n```", README, flags=re.DOTALL)[1]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_settings_parse_types_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings({"LOGIN_MAX_FAILURES": "3", "ALLOW_PRIVATE_ADDRESSES": "yes",
                              "SCRAPEDECK_DATA_DIR": str(tmp_path)})
    assert settings.login_max_failures == 3
    assert settings.allow_private_addresses is True
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'scrapedeck.db'}"


def test_a_malformed_number_names_its_variable() -> None:
    with pytest.raises(ValueError, match="LOGIN_MAX_FAILURES"):
        load_settings({"LOGIN_MAX_FAILURES": "many"})
