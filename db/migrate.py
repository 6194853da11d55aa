"""Run Alembic migrations from code (setup script, tests, ``python -m core db upgrade``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from core.settings import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
