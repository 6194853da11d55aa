"""Commands answered by a warm process: ``python -m core …`` run by a fork of a ``serve`` worker.

A command's own start-up is mostly imports (SQLAlchemy, the models: half a second of CPU and
more on a small machine), longer than most commands take. A ``serve`` worker has them loaded. So
when it starts, it forks a *command server* (``start_server``): a process of its own session
that listens on a Unix socket named after the code, the data folder and the database
(``address``), loads what ``python -m core`` loads, and forks a child for each command that
comes. ``python -m core`` (``forward``) first looks for that socket; when a server answers, it
hands over its arguments, working folder, environment, umask and its standard input, output and
error themselves (their descriptors, passed over the socket), and waits for the exit status.
The child takes all of them on, clears the settings it inherited, and runs ``python -m core``'s
own entry point (``core/__main__.py``): the command does what it would have done in a process
of its own, and writes to the caller's terminal or pipe. Where no server answers (none runs,
it is stopped, the code changed since it started, ``SCRAPEDECK_WARM_COMMANDS=0``) the command
runs in its own process as before; nothing is sent before the server has said it is ready, so a
command never runs twice or not at all.

Workers too: ``spawn_worker`` (the app starting a run, a build, an export) asks the server to
start ``python -m core.worker …`` detached (``start_detached``): no input, its output to the
worker log, a session of its own, nobody waiting for it; the worker is forked from what is
loaded, and its run starts in milliseconds rather than after a second of imports.

Per command, the server forks a go-between, which forks the command and waits: it passes on
the signals the caller gets (Ctrl-C is the command's KeyboardInterrupt, as it would be in its
own process), interrupts the command when the caller is gone (killed, its terminal closed), and
sends its exit status (128 + the signal's number for one that killed it).

Trust: the same as running the command. The socket is in Linux's abstract namespace (no file to
go stale: it is gone with the process that held it; a second ``serve`` of the same database
finds it taken and starts no server); each side checks that the other runs as the same user
(``SO_PEERCRED``), so nobody else can run commands as this user, nor pose as its server to read
its environment.

Stale code: the server stops answering (and exits) as soon as a source file of the project's
packages changed since it loaded them, so a command never runs code older than what is on disk;
``serve`` collects it at its next round. The server ends with its ``serve`` (the kernel tells it:
``core.platform.forks.die_with_parent``); the commands it runs go on.
"""

from __future__ import annotations

import array
import hashlib
import json
import logging
import os
import signal
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.platform.forks import die_with_parent
from core.platform.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger("scrapedeck.commands.server")

READY, STALE = b"R", b"S"  # the server's first byte: go ahead, or run it yourself
SIGNAL, STATUS = b"s", b"x"  # caller → server: a signal's number; server → caller: exit status
STARTED = b"p"  # server → caller: a detached worker's pid
COMMANDS, WORKERS = "core", "core.worker"  # what a request may run: ``python -m`` these
# A detached worker's output, as a process started with it in a file has: UTF-8, stderr
# line-buffered (Python's own), stdout in blocks.
_WORKER_STREAMS = {"stdin": ["utf-8", "strict", False, False],
                   "stdout": ["utf-8", "strict", False, False],
                   "stderr": ["utf-8", "backslashreplace", True, False]}
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# How long a caller waits for the server's first byte before it runs the command itself (a
# stopped or overloaded server); nothing has been sent by then.
HELLO_SECONDS = 2.0
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # arguments and environment; far above any real one
_ANSWERING = False  # set in a command the server runs: it never forwards again
_MAX_FD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 256


def address(settings: Settings) -> bytes:
    """The server's socket (abstract namespace) for this code, interpreter, data folder and
    database: a command reaches only the server that would do what it would do."""
    key = "\0".join([str(PROJECT_ROOT), sys.executable, os.path.abspath(settings.data_dir),
                     settings.resolved_database_url])
    return b"\0scrapedeck-commands-" + hashlib.sha256(key.encode()).hexdigest()[:32].encode()


def _peer_uid(sock: socket.socket) -> int:
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


# The caller: ``python -m core``.

def forward(argv: list[str]) -> int | None:
    """Have the warm server run ``python -m core *argv`` for this process; its exit status, or
    None when no server took it (run it here)."""
    sock = _connect()
    if sock is None:
        return None
    with sock:
        streams = {name: _stream_codec(getattr(sys, name))
                   for name in ("stdin", "stdout", "stderr")}
        try:
            _send_request(sock, {"entry": COMMANDS, "argv": argv, "argv0": sys.argv[0],
                                 "cwd": os.getcwd(), "streams": streams}, [0, 1, 2])
        except OSError:  # it went away before it had everything, or a stream is closed
            return None
        return _await_status(sock)


def start_detached(argv: list[str], log: int) -> int | None:
    """Have the warm server start ``python -m core.worker *argv`` as ``spawn_worker`` would
    (no input, its output to the descriptor ``log``, a session of its own, nobody waiting for
    it), from its loaded modules; the worker's pid, or None (start it yourself). Any thread may
    call this."""
    sock = _connect()
    if sock is None:
        return None
    with sock:
        nothing = os.open(os.devnull, os.O_RDONLY)
        try:
            _send_request(sock, {"entry": WORKERS, "argv": argv, "argv0": "-m", "cwd":
                                 str(PROJECT_ROOT), "streams": _WORKER_STREAMS, "detached": True},
                          [nothing, log, log])
            answer = _read_exactly(sock, 5)
        except OSError:
            return None
        finally:
            os.close(nothing)
    if answer is None or answer[:1] != STARTED:
        return None  # it stopped before it could say (nothing runs: the caller starts one)
    return int(struct.unpack("!i", answer[1:5])[0])


def _connect() -> socket.socket | None:
    """A connection to this settings' server, once it said it is ready; None when there is no
    server to hand anything to."""
    if _ANSWERING:
        return None
    try:
        settings = get_settings()
    except ValueError:  # a bad setting: the command run here says which
        return None
    if not settings.warm_commands:
        return None
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except (OSError, AttributeError):  # AttributeError: a system without Unix sockets
        return None
    try:
        sock.settimeout(HELLO_SECONDS)
        sock.connect(address(settings))
        if _peer_uid(sock) == os.getuid() and sock.recv(1) == READY:
            sock.settimeout(None)
            return sock
    except OSError:  # no server, or it went away before it had anything
        pass
    sock.close()
    return None


def _send_request(sock: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """The request: its length with the three standard descriptors, then the JSON document
    (with this process's environment and umask). A closed descriptor fails the send: nothing
    was sent."""
    body = json.dumps({**request, "env": dict(os.environ), "umask": _umask()}).encode()
    sock.sendmsg([struct.pack("!Q", len(body))],
                 [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
    sock.sendall(body)


def _umask() -> int:
    """This process's umask, read without setting it (which another thread would notice)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)  # no /proc: set and put back
    os.umask(umask)
    return umask


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _stream_codec(stream: Any) -> list[Any]:
    """How this process's standard stream encodes and flushes (locale, PYTHONIOENCODING,
    PYTHONUNBUFFERED and a terminal decided it at start-up), for the command's own."""
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None),
            bool(getattr(stream, "line_buffering", False)),
            bool(getattr(stream, "write_through", False))]


def _await_status(sock: socket.socket) -> int:
    """Pass this process's signals on to the command until its exit status comes."""
    def pass_on(signum: int, _frame: object) -> None:
        try:
            sock.send(SIGNAL + bytes([signum]))
        except OSError:
            pass

    for number in FORWARDED_SIGNALS:
        signal.signal(number, pass_on)
    answer = b""
    while chunk := sock.recv(16):
        answer += chunk
        if len(answer) >= 5 and answer[:1] == STATUS:
            return int(struct.unpack("!i", answer[1:5])[0])
    print("error: the command's process ended without an exit status (see the worker's log).",
          file=sys.stderr)
    return 2


# The server: forked by ``serve``.

def start_server(preload: Callable[[], None]) -> int | None:
    """Fork the command server of this process's settings (from ``serve``, one thread, its
    imports done); its pid, or None: turned off, another ``serve`` of this database has one, no
    Unix sockets, a fork that failed. ``preload`` loads what the commands will need."""
    settings = get_settings()
    if not settings.warm_commands:
        return None
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address(settings))  # taken: another server of this database answers
        listener.listen(64)
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        listener.close()
        return None
    if pid:
        listener.close()
        return pid
    status = 1
    try:
        status = _serve_commands(listener, parent, preload)
    except BaseException:  # noqa: BLE001 - to the worker's log; never back into serve's code
        log.exception("the command server failed")
    finally:
        logging.shutdown()
        os._exit(status)


def stop_server(pid: int | None) -> None:
    """End the command server ``start_server`` forked (the commands it runs go on)."""
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _serve_commands(listener: socket.socket, parent: int, preload: Callable[[], None]) -> int:
    import gc

    os.setsid()  # Ctrl-C in serve's terminal is not the commands' business
    keep = listener.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, _MAX_FD)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the go-betweens are reaped by the kernel
    die_with_parent(parent)  # a server outlives no serve (the commands it runs go on)
    preload()
    places = project_places()  # what is loaded does not change here (its children import)
    sources = source_fingerprint(places)
    gc.collect()
    gc.freeze()  # what is loaded is shared with every child, never walked by a collection
    log.info("command server %s answering `python -m core` commands", os.getpid())
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        with conn:
            if _peer_uid(conn) != os.getuid():
                log.warning("a command from another user was refused")
                continue
            if source_fingerprint(places) != sources:
                conn.sendall(STALE)  # it runs the command itself, with the code on disk
                log.info("the code changed since the command server started: it stops")
                return 0
            _fork_go_between(conn, listener)


def project_places(root: Path = PROJECT_ROOT) -> list[Path]:
    """The project's top-level packages and modules that are loaded (not its virtual
    environment's packages, often inside its folder)."""
    places = set()
    installed = tuple({os.path.join(sys.prefix, ""), os.path.join(sys.base_prefix, "")})
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if (not path or not path.startswith(str(root) + os.sep) or path.startswith(installed)
                or "site-packages" in path):
            continue
        places.add(root / Path(path).relative_to(root).parts[0])
    return sorted(places)


def source_fingerprint(places: list[Path]) -> dict[str, tuple[int, int]]:
    """The modification time and size of every source file in ``places`` (a package's whole
    folder: what a command imports later counts too)."""
    found: dict[str, tuple[int, int]] = {}
    for place in places:
        files = [place] if place.suffix == ".py" else _python_files(place)
        for path in files:
            try:
                info = os.stat(path)
            except OSError:
                continue
            found[str(path)] = (info.st_mtime_ns, info.st_size)
    return found


def _python_files(folder: Path) -> list[Path]:
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found += [Path(directory, name) for name in names if name.endswith(".py")]
    return found


def _fork_go_between(conn: socket.socket, listener: socket.socket) -> None:
    try:
        pid = os.fork()
    except OSError:
        log.warning("could not fork for a command: it runs in its own process")
        return  # the caller sees the socket close before READY and runs it itself
    if pid:
        return
    status = 1
    try:
        listener.close()  # only the server holds the address: it goes when the server does
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # this one waits for its command
        status = _go_between(conn)
    except BaseException:  # noqa: BLE001
        log.exception("a command's go-between failed")
    finally:
        os._exit(status)


def _go_between(conn: socket.socket) -> int:
    conn.sendall(READY)
    conn.settimeout(10.0)  # the caller sends at once; one that does not is gone
    received = _receive_request(conn)
    if received is None:  # the caller ran the command itself (it could not send its streams)
        return 0
    request, fds = received
    if request.get("entry") not in (COMMANDS, WORKERS):
        raise ValueError(f"a request to run {str(request.get('entry'))[:40]!r}")
    try:
        pid = os.fork()
    except OSError:
        _send_status(conn, 2)
        return 1
    if pid == 0:
        _run_command(request, fds)  # never returns
    for fd in fds:
        os.close(fd)
    if request.get("detached"):  # nobody waits: when this one exits, init reaps the worker
        log.info("a worker started in process %s: %s", pid, " ".join(request["argv"])[:200])
        conn.sendall(STARTED + struct.pack("!i", pid))
        return 0
    status = _wait_passing_signals(conn, pid)
    log.info("a command ran in process %s: exit status %s", pid, status)
    _send_status(conn, status)
    return 0


def _receive_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    fds = array.array("i")
    header, ancillary, _flags, _address = conn.recvmsg(
        8, socket.CMSG_SPACE(3 * fds.itemsize))
    if not header:
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    if len(header) != 8 or len(fds) != 3:
        raise ValueError("a malformed command request")
    size = struct.unpack("!Q", header)[0]
    if size > MAX_REQUEST_BYTES:
        raise ValueError(f"a command request of {size:,} bytes")
    body = bytearray()
    while len(body) < size:
        chunk = conn.recv(min(size - len(body), 1 << 20))
        if not chunk:
            raise ValueError("a command request cut short")
        body += chunk
    return json.loads(body), list(fds)


def _wait_passing_signals(conn: socket.socket, pid: int) -> int:
    """Wait for the command ``pid``, passing on the signals the caller sends; when the caller
    is gone, interrupt it (as Ctrl-C would). Its exit status (128 + N: killed by signal N)."""
    import selectors

    conn.settimeout(None)
    try:
        ended = os.pidfd_open(pid)
    except OSError:  # a kernel older than 5.3: the command runs on, its signals are not passed
        return _exit_status(os.waitpid(pid, 0)[1])
    with selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ)
        selector.register(ended, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fileobj == ended:
                    os.close(ended)
                    return _exit_status(os.waitpid(pid, 0)[1])
                data = conn.recv(64)
                if not data:  # the caller is gone
                    selector.unregister(conn)
                    _kill(pid, signal.SIGINT)
                for number in data[1::2] if data[:1] == SIGNAL else b"":
                    if number in FORWARDED_SIGNALS:
                        _kill(pid, number)


def _exit_status(wait_status: int) -> int:
    """As a shell reports it: the exit code, or 128 + N for a process killed by signal N."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def _kill(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _send_status(conn: socket.socket, status: int) -> None:
    try:
        conn.sendall(STATUS + struct.pack("!i", status))
    except OSError:
        pass  # the caller is gone


def _run_command(request: dict[str, Any], fds: list[int]) -> None:
    """The command: the caller's standard streams, folder, umask and environment, this
    process's settings forgotten, then ``python -m ENTRY`` as ``__main__``. Never returns."""
    global _ANSWERING
    status = 2
    try:
        _ANSWERING = True
        if request.get("detached"):
            os.setsid()  # as spawn_worker's: neither the caller's terminal nor its signals
        for number in FORWARDED_SIGNALS + (signal.SIGCHLD,):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, _MAX_FD)  # the socket, the passed copies, the server's log
        _take_streams(request["streams"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(int(request["umask"]))
        get_settings.cache_clear()
        for handler in logging.root.handlers[:]:  # serve's logging, not a command's
            logging.root.removeHandler(handler)
        logging.root.setLevel(logging.WARNING)
        os.chdir(request["cwd"])
        sys.argv = [request["argv0"], *request["argv"]]
        import runpy

        runpy.run_module(request["entry"], run_name="__main__", alter_sys=True)
        status = 0  # the entry point exits itself; falling off its end is status 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except OSError as exc:  # the caller's folder is gone, say
        print(f"error: {exc.strerror or exc}.", file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - a command never ends in a traceback
        print(f"error: unexpected {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)


def _take_streams(codecs: dict[str, list[Any]]) -> None:
    """Standard streams on the caller's descriptors, encoding and flushing as the caller's."""
    import io

    for number, name in enumerate(("stdin", "stdout", "stderr")):
        encoding, errors, line, through = codecs.get(name) or [None, None, False, False]
        raw = io.open(number, "rb" if number == 0 else "wb", buffering=0 if through else -1,
                      closefd=False)
        setattr(sys, name, io.TextIOWrapper(raw, encoding=encoding or "utf-8",
                                            errors=errors or "strict", line_buffering=line,
                                            write_through=through))
