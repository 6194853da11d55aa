"""The official documentation pages the advisor cites (tests/fixtures/cloud_docs, copied from
the cloud-docs corpus with their licenses), served on 127.0.0.1 at the path of each page's
public URL: ``/aws/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html`` for AWS and
``/azure/en-us/azure/...`` for Azure, so the two documentation bases are
``{base_url}/aws`` and ``{base_url}/azure``. Pages are sent as they are stored (Markdown, as
the documentation sources publish them). ``down`` holds public paths that answer 404.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.httpserver import LocalServer, QuietHandler

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "cloud_docs"
BASES = {"aws": "https://docs.aws.amazon.com", "azure": "https://learn.microsoft.com"}


def _pages() -> dict[str, Path]:
    pages = {}
    for page in json.loads((ROOT / "index.json").read_text(encoding="utf-8")):
        public_path = page["public_url"][len(BASES[page["provider"]]):]
        pages[f"/{page['provider']}{public_path}"] = ROOT / page["path"]
    return pages


class DocsServer(LocalServer):
    def __init__(self) -> None:
        super().__init__(_Handler, name="cloud-docs", poll_interval=0.05)
        self.pages = _pages()
        self.down: set[str] = set()
        self.robots_txt: str | None = None  # served at /robots.txt when set; else a 404
        self.requests: list[str] = []

    def base(self, provider: str) -> str:
        return f"{self.base_url}/{provider}"


class _Handler(QuietHandler):
    server: DocsServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path == "/robots.txt" and self.server.robots_txt is not None:
            self.respond(200, self.server.robots_txt.encode(), "text/plain")
            return
        page = self.server.pages.get(self.path)
        if page is None or any(self.path.endswith(d) for d in self.server.down):
            self.respond(404, b"not found", "text/plain")
            return
        self.respond(200, page.read_bytes(), "text/markdown; charset=utf-8")
