"""Starting worker processes: ``python -m core.worker …`` with an argument list, detached from
the caller (the Streamlit server must never wait for, or die with, a scrape)."""

from __future__ import annotations

import os
import subprocess
import sys

from core.platform.settings import PROJECT_ROOT, get_settings


def spawn_worker(args: list[str]) -> int:
    """Start ``python -m core.worker *args`` in its own session; return its pid.

    Output goes to ``$SCRAPEDECK_DATA_DIR/logs/worker.log`` so nothing is lost when the app's
    terminal is gone.
    """
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "worker.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.worker", *args], cwd=PROJECT_ROOT, env=os.environ.copy(),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    return process.pid
