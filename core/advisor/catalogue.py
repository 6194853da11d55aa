"""The provider service catalogue (``catalogue.json``, with its sources and date): per provider,
its regions and, per domain, the services with their kind, SLA, limits, zones, price and the
official page that states the fact the validator cites (``doc``: path, title, terms)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.platform.settings import get_settings

PATH = Path(__file__).with_name("catalogue.json")


@dataclass(frozen=True)
class DocRef:
    """An official page and the words one passage of it must hold to support a claim."""

    path: str
    title: str
    terms: tuple[str, ...]

    @classmethod
    def of(cls, data: dict[str, Any]) -> DocRef:
        return cls(data["path"], data["title"], tuple(data["terms"]))

    def url(self, provider: str) -> str:
        return docs_base(provider).rstrip("/") + self.path


@functools.cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


def provider(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load()["providers"][name]
    return data


def services(provider_name: str, domain: str) -> list[dict[str, Any]]:
    return list(provider(provider_name)["services"][domain])


def service(provider_name: str, domain: str, service_id: str) -> dict[str, Any]:
    return next(s for s in services(provider_name, domain) if s["id"] == service_id)


def assumption(key: str) -> float:
    return float(load()["assumptions"][key])


def docs_base(provider_name: str) -> str:
    return str(getattr(get_settings(), provider(provider_name)["docs_base_setting"]))


def dated() -> str:
    return str(load()["date"])
