"""Cancel and reaper times: how long after "Cancel" a running run is canceled (also while a
request hangs), and how long after its worker is killed a run reads as failed with no ``serve``.

    .venv/bin/python bench/cancel_reaper.py                 # 5 cancels of each kind, 2 kills
    .venv/bin/python bench/cancel_reaper.py --cancels 3 --kills 1

Everything is real: a fresh SQLite database in a temporary folder, a threaded HTTP server on
127.0.0.1 whose pages answer after 0.5 s ("slow") or 120 s ("hanging", longer than the 90 s
request timeout set here, so waiting for the request would take minutes), runs started with
``runs.start_run`` and executed by the worker process ``EXECUTOR=local`` spawns, cancels through
``runs.cancel_run``, kills with SIGKILL, and the reading side is ``runs.get_run`` (what
``runs show`` and the Runs page call), polled every 50 ms. Settings are the defaults
(RUN_HEARTBEAT_SECONDS=1, RUN_STALE_AFTER_SECONDS=30) unless given.

Anchors (issue 15): a cancel within 2 s, hanging request or not; a killed run marked failed
without ``serve`` (it takes RUN_STALE_AFTER_SECONDS plus the time to the next look).
"""

from __future__ import annotations

import argparse
import http.server
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        seconds = float(parse_qs(urlsplit(self.path).query).get("s", ["0.5"])[0])
        time.sleep(seconds)
        body = b"<html><body><p class='message'>" + self.path.encode() + b"</p></body></html>"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *_args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancels", type=int, default=5)
    parser.add_argument("--kills", type=int, default=2)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="scrapedeck-bench-cancel-"))
    os.environ.update(SCRAPEDECK_DATA_DIR=str(data), DATABASE_URL=f"sqlite:///{data}/bench.db",
                      ALLOW_PRIVATE_ADDRESSES="1", FETCH_DELAY_SECONDS="0", EXECUTOR="local",
                      APP_STARTS_WORKER="0", FETCH_TIMEOUT_SECONDS="90",
                      ADMIN_EMAIL="bench@example.com", ADMIN_PASSWORD="bench-password-1")
    from core.accounts.setup import initialise
    from core.accounts.users import get_active_actor
    from core.scraping import runs
    from db.models import Run, ScrapingJob

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    database, _ = initialise()
    with database.transaction() as session:
        actor = get_active_actor(session, "bench@example.com")

    def start(seconds: float) -> uuid.UUID:
        with database.transaction() as session:
            job = ScrapingJob(
                user_id=actor.id, name=f"bench-{uuid.uuid4().hex[:6]}",
                target_url=f"{site}/p?s={seconds}&p=1", target_urls=[f"{site}/p?s={seconds}&p=1"],
                pagination_type="url_pattern",
                pagination={"pattern": f"/p?s={seconds}&p={{page}}", "first_page": 1,
                            "last_page": 500},
                config_package={"version": 1, "fields": {"m": {"selector": "p.message"}}},
                options={"max_pages": 500, "concurrency": 2})
            session.add(job)
            session.flush()
            return runs.start_run(session, actor, job.id).id

    def until(run_id: uuid.UUID, done, timeout: float = 300) -> float:  # type: ignore[no-untyped-def]
        begun = time.monotonic()
        while time.monotonic() - begun < timeout:
            with database.transaction() as session:
                summary = runs.get_run(session, actor, run_id)
            if done(summary):
                return time.monotonic() - begun
            time.sleep(0.05)
        raise SystemExit(f"run {run_id} did not get there in {timeout} s")

    def running_for_a_while(run_id: uuid.UUID) -> None:
        until(run_id, lambda r: r.status == "running")
        time.sleep(2.0)  # requests are in flight

    for label, seconds in (("while pages answer in 0.5 s", 0.5),
                           ("while a request hangs (120 s)", 120.0)):
        times = []
        for _ in range(args.cancels):
            run_id = start(seconds)
            running_for_a_while(run_id)
            with database.transaction() as session:
                runs.cancel_run(session, actor, run_id)
            times.append(until(run_id, lambda r: r.status == "canceled"))
        print(f"cancel {label}: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {len(times)}   (anchor: <= 2 s)")

    stale = float(os.environ.get("RUN_STALE_AFTER_SECONDS", "30"))
    reaped = []
    for _ in range(args.kills):
        run_id = start(0.5)
        running_for_a_while(run_id)
        with database.transaction() as session:
            pid = int(session.get(Run, run_id).worker_id.rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)
        reaped.append(until(run_id, lambda r: r.status == "failed", timeout=stale + 60))
    print(f"killed worker -> run failed, read through runs show (no serve): median "
          f"{statistics.median(reaped):.1f} s, max {max(reaped):.1f} s over {len(reaped)}   "
          f"(RUN_STALE_AFTER_SECONDS={stale:g}; anchor: that plus the time to the next look)")
    server.shutdown()
    database.dispose()


if __name__ == "__main__":
    main()
