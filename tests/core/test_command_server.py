"""Commands answered by a warm ``serve`` worker (core/platform/command_server.py): real
``python -m core.worker serve`` and ``python -m core`` processes, the command run by a fork of
the server, with the caller's streams, folder, environment and signals; and every way the
caller falls back to running the command itself."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.platform.command_server import READY, address, project_places, source_fingerprint
from core.platform.settings import PROJECT_ROOT, load_settings

pytestmark = pytest.mark.usefixtures("app_env")

SCHEMA = {"name": "Books", "schema_definition": {
    "type": "object", "properties": {"title": {"type": "string"}}}}


class Warm:
    """A ``serve`` worker with its command server, and commands run beside it."""

    def __init__(self, env: dict[str, str], log: Path, code: Path = PROJECT_ROOT) -> None:
        self.env, self.log, self.code = env, log, code
        self.serve: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.serve = subprocess.Popen([sys.executable, "-m", "core.worker", "serve"],
                                      cwd=self.code, env=self.env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        self.wait_for_log("answering `python -m core` commands")

    def stop(self) -> None:
        if self.serve is not None:
            self.serve.terminate()
            self.serve.wait(20)

    def wait_for_log(self, text: str, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.log.read_text(errors="replace"):
            assert time.monotonic() < deadline, self.log.read_text(errors="replace")[-3000:]
            time.sleep(0.05)

    def server_pid(self) -> int:
        found = re.search(r"command server (\d+) answering", self.log.read_text(errors="replace"))
        assert found, self.log.read_text(errors="replace")[-3000:]
        return int(found[1])

    def answered(self) -> int:
        """How many commands the server has run so far."""
        return self.log.read_text(errors="replace").count("a command ran in process")

    def command(self, *args: str, warm: bool = True, cwd: Path | None = None,
                stdin: object = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "SCRAPEDECK_WARM_COMMANDS": "1" if warm else "0"}
        return subprocess.run([sys.executable, "-m", "core", *args], cwd=cwd or self.code,
                              env=env, stdin=stdin, capture_output=True, text=True, timeout=120)


def until(condition, seconds: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.05)


def ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def warm(app_env: str, tmp_path: Path) -> Iterator[Warm]:
    env = {**os.environ, "EXECUTOR": "queue", "PYTHONPATH": str(PROJECT_ROOT)}
    server = Warm(env, tmp_path / "serve.log")
    assert server.command("init", warm=False).returncode == 0
    server.start()
    yield server
    server.stop()


def test_a_command_run_by_the_server_prints_and_exits_as_it_would_in_its_own_process(
        warm: Warm) -> None:
    listed = warm.command("--user", "admin@example.com", "users", "list")
    assert warm.answered() == 1
    alone = warm.command("--user", "admin@example.com", "users", "list", warm=False)
    assert warm.answered() == 1
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, alone.stdout, alone.stderr)
    assert "admin@example.com" in listed.stdout

    refused = warm.command("--user", "nobody@example.com", "schemas", "list")
    assert warm.answered() == 2
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == "error: No active user with email nobody@example.com.\n"

    usage = warm.command("schemas", "frobnicate")
    assert usage.returncode == 2 and "invalid choice: 'frobnicate'" in usage.stderr
    assert warm.answered() == 3


def test_the_command_encodes_its_output_as_the_caller_would(warm: Warm) -> None:
    made = warm.command("--user", "admin@example.com", "users", "create", "zoe@example.com",
                        "--name", "Zoë", "--role", "analyst")
    assert made.returncode == 0, made.stderr
    outputs = []
    for warm_commands in ("1", "0"):
        env = {**warm.env, "PYTHONIOENCODING": "latin-1", "SCRAPEDECK_WARM_COMMANDS": warm_commands}
        outputs.append(subprocess.run(
            [sys.executable, "-m", "core", "--user", "admin@example.com", "users", "list"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=120).stdout)
    assert warm.answered() == 2
    assert b"Zo\xeb" in outputs[0] and outputs[0] == outputs[1]


def test_the_command_reads_files_from_the_callers_folder_and_its_standard_input(
        warm: Warm, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "books.json").write_text(json.dumps(SCHEMA))
    imported = warm.command("--user", "admin@example.com", "schemas", "import", "books.json",
                            cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Imported schema 'Books' as ")

    with open(folder / "books.json") as schema_file:  # /dev/stdin is the caller's own input
        again = warm.command("--user", "admin@example.com", "schemas", "import", "/dev/stdin",
                             stdin=schema_file)
    assert again.returncode == 0, again.stderr
    assert warm.answered() == 2


def test_the_callers_environment_is_the_commands(warm: Warm) -> None:
    url = "http://127.0.0.1:9/"  # nothing listens there
    warm.env = {**warm.env, "ALLOW_PRIVATE_ADDRESSES": "0", "FETCH_MAX_RETRIES": "0"}
    refused = warm.command("seo", "audit", url)
    warm.env = {**warm.env, "ALLOW_PRIVATE_ADDRESSES": "1"}
    allowed = warm.command("seo", "audit", url)
    assert warm.answered() == 2
    assert "127.0.0.1 is a loopback address" in refused.stderr
    assert "Cannot connect to host 127.0.0.1:9" in allowed.stderr, allowed.stderr


def test_ctrl_c_reaches_the_command_and_a_caller_that_dies_stops_it(
        warm: Warm, tmp_path: Path) -> None:
    hanging = socket.socket()  # a site that accepts and never answers: its runs wait
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    warm.env = {**warm.env, "ALLOW_PRIVATE_ADDRESSES": "1"}
    try:
        for stopped, stop in enumerate(("interrupt", "kill"), start=1):
            job = _job(warm, tmp_path, stop, f"http://127.0.0.1:{hanging.getsockname()[1]}/")
            before = warm.answered()
            waiting = subprocess.Popen(
                [sys.executable, "-m", "core", "--user", "admin@example.com", "runs", "start",
                 job, "--wait"], cwd=PROJECT_ROOT, env=warm.env, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            assert waiting.stdout is not None
            assert waiting.stdout.readline().startswith("Run ")  # it waits for its run now
            if stop == "interrupt":
                waiting.send_signal(signal.SIGINT)
                out, err = waiting.communicate(timeout=30)
                assert waiting.returncode == 130, (out, err)
                assert err.endswith("error: interrupted.\n")
            else:
                waiting.kill()
                waiting.wait(10)
            _wait_until(lambda: warm.answered() == before + 1)  # the command ended, as Ctrl-C
            assert warm.log.read_text().count(": exit status 130") == stopped
    finally:
        hanging.close()


def _job(warm: Warm, folder: Path, name: str, url: str) -> str:
    job_file = folder / f"{name}.json"
    job_file.write_text(json.dumps({"name": name, "target_urls": [url], "config_package": {
        "version": 1, "fields": {"title": {"selector": "h1"}}}}))
    created = warm.command("--user", "admin@example.com", "jobs", "create", "--file",
                           str(job_file))
    assert created.returncode == 0, created.stderr
    return created.stdout.split()[-1].strip("()")


def test_a_run_started_as_the_app_starts_one_is_worked_on_by_a_fork_of_the_server(
        warm: Warm, db, make_job, local_fetching) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from core.accounts.users import get_active_actor
    from core.scraping import runs
    from db.models import Run

    with db.transaction() as session:
        admin = get_active_actor(session, "admin@example.com")
        assert admin is not None
    job = make_job(admin)
    assert warm.serve is not None
    warm.serve.send_signal(signal.SIGSTOP)  # serve itself takes nothing from the queue now
    try:
        with db.transaction() as session:  # EXECUTOR=local here: a worker is started for it
            run_id = runs.start_run(session, admin, job).id
        _wait_until(lambda: _status(db, run_id) not in ("queued", "running"))
    finally:
        warm.serve.send_signal(signal.SIGCONT)
    with db.transaction() as session:
        run = session.scalars(select(Run).where(Run.id == run_id)).one()
        assert (run.status, run.items_extracted) == ("completed", 12), run.error_message
        worker = int(str(run.worker_id).rsplit(":", 1)[1])
    warm.wait_for_log(f"a worker started in process {worker}: run {run_id}")


def _status(db, run_id) -> str:  # type: ignore[no-untyped-def]
    from db.models import Run

    with db.transaction() as session:
        return str(session.get(Run, run_id).status)


def test_no_server_a_stopped_server_or_warm_commands_off_runs_the_command_itself(
        warm: Warm) -> None:
    off = warm.command("--user", "admin@example.com", "users", "list", warm=False)
    assert off.returncode == 0 and warm.answered() == 0

    assert warm.serve is not None
    server_pid = _command_server_pid(warm)
    os.kill(server_pid, signal.SIGSTOP)  # it never says it is ready: the caller gives up
    try:
        stopped = warm.command("--user", "admin@example.com", "users", "list")
    finally:
        os.kill(server_pid, signal.SIGCONT)
    assert stopped.returncode == 0 and stopped.stdout == off.stdout
    assert warm.answered() == 0  # nothing was sent to it: the command ran once, here

    warm.stop()  # the server goes with its serve worker
    _wait_until(lambda: not Path(f"/proc/{server_pid}").exists())
    gone = warm.command("--user", "admin@example.com", "users", "list")
    assert gone.returncode == 0 and gone.stdout == off.stdout


def test_a_server_whose_code_changed_stops_answering(app_env: str, tmp_path: Path) -> None:
    code = tmp_path / "code"  # a copy of the project, edited while its server runs
    code.mkdir()
    for name in ("core", "db", "migrations"):
        subprocess.run(["cp", "-r", str(PROJECT_ROOT / name), str(code / name)], check=True)
    for name in ("vocabularies.py", "alembic.ini"):
        subprocess.run(["cp", str(PROJECT_ROOT / name), str(code / name)], check=True)
    warm = Warm({**os.environ, "EXECUTOR": "queue", "PYTHONPATH": str(code)},
                tmp_path / "serve.log", code)
    assert warm.command("init", warm=False).returncode == 0
    warm.start()
    try:
        assert warm.command("--user", "admin@example.com", "users", "list").returncode == 0
        assert warm.answered() == 1
        edited = code / "core" / "cli" / "users.py"
        edited.write_text(edited.read_text() + "\n# edited\n")
        after = warm.command("--user", "admin@example.com", "users", "list")
        assert after.returncode == 0 and "admin@example.com" in after.stdout
        assert warm.answered() == 1  # run with the code on disk, in its own process
        warm.wait_for_log("the code changed since the command server started")
        # and it is gone: serve collected it (no dead entry left beside a serve that goes on)
        until(lambda: not Path(f"/proc/{warm.server_pid()}").exists(), seconds=10)
        assert warm.serve is not None and warm.serve.poll() is None
    finally:
        warm.stop()


def test_the_server_ends_with_its_serve(warm: Warm) -> None:
    assert warm.serve is not None
    server = warm.server_pid()
    warm.serve.kill()  # no goodbye: SIGKILL
    warm.serve.wait(10)

    until(lambda: ended(server), seconds=10)
    assert warm.command("--user", "admin@example.com", "users", "list").returncode == 0


def test_a_server_answers_only_its_own_user_and_a_caller_trusts_only_its_own(
        warm: Warm, tmp_path: Path) -> None:
    system_python = "/usr/bin/python3"  # one that another user may run (only for sockets)
    if os.getuid() != 0 or not os.access(system_python, os.X_OK):
        pytest.skip("needs root and a system Python, to run a process as another user")
    from core.platform import command_server

    where = address(load_settings()).hex()
    # another user knocks at the server: the door closes before it says it is ready
    knock = subprocess.run([system_python, "-c", KNOCK, where], user="nobody", cwd="/",
                           capture_output=True, timeout=30)
    assert knock.stdout == b"b''\n", knock.stderr
    warm.wait_for_log("a command from another user was refused")

    server_pid = _command_server_pid(warm)
    warm.stop()
    _wait_until(lambda: not Path(f"/proc/{server_pid}").exists())  # the address is free
    received = tmp_path / "received"
    received.touch()
    os.chmod(received, 0o666)
    # another user's process takes the address and says it is ready: the caller sends nothing
    impostor = subprocess.Popen([system_python, "-c", IMPOSTOR, where, str(received)],
                                user="nobody", cwd="/", stdout=subprocess.PIPE)
    try:
        assert impostor.stdout is not None and impostor.stdout.readline() == b"listening\n"
        assert command_server.forward(["users", "list"]) is None  # run it here
    finally:
        impostor.wait(20)
    assert received.read_bytes() == b""  # no environment, no descriptor went to it


KNOCK = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(bytes.fromhex(sys.argv[1]))
sock.settimeout(10)
print(sock.recv(1))
"""

IMPOSTOR = f"""
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(bytes.fromhex(sys.argv[1]))
sock.listen(1)
print("listening", flush=True)
conn, _ = sock.accept()
conn.sendall({READY!r})
conn.settimeout(3)
data = b""
try:
    while chunk := conn.recv(65536):
        data += chunk
except OSError:
    pass
open(sys.argv[2], "wb").write(data)
"""


def test_the_fingerprint_sees_an_edited_or_added_source_file(tmp_path: Path) -> None:
    package = tmp_path / "pkg_fingerprint_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("A = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        __import__("pkg_fingerprint_probe.one")
        places = project_places(tmp_path)
        assert places == [package]
        first = source_fingerprint(places)
        assert set(first) == {str(package / "__init__.py"), str(package / "one.py")}
        assert source_fingerprint(places) == first
        (package / "two.py").write_text("B = 2\n")  # not loaded yet: a command may load it
        assert source_fingerprint(places) != first
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("pkg_fingerprint_probe")]:
            del sys.modules[name]


def _wait_until(condition, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _command_server_pid(warm: Warm) -> int:
    """serve's first child: its command server, forked as it starts (a fork working on a piece
    of queued work may be there beside it)."""
    assert warm.serve is not None
    children = Path(f"/proc/{warm.serve.pid}/task/{warm.serve.pid}/children").read_text().split()
    return min(map(int, children), key=_start_time)


def _start_time(pid: int) -> int:
    """When the process started, in clock ticks since boot (/proc/PID/stat's 22nd field; its
    name, the 2nd, is in parentheses and may hold spaces)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
