"""``python -m core …``: the command-line interface (see core/cli.py)."""

import sys

if sys.argv[1:2] == ["extract"]:
    # `extract` needs no database: load its module alone, without the CLI package's imports
    # (SQLAlchemy, pandas, the models), which take longer than the extraction itself.
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    spec = spec_from_file_location("core.cli.extract", Path(__file__).parent / "cli" / "extract.py")
    assert spec is not None and spec.loader is not None  # a file path always has a loader
    extract = module_from_spec(spec)
    spec.loader.exec_module(extract)
    sys.exit(extract.main(sys.argv[2:]))

from core.platform.command_server import forward

status = forward(sys.argv[1:])  # a `serve` worker's command server runs it, when one answers
if status is not None:
    sys.exit(status)

import gc

# Start-up is mostly imports (SQLAlchemy, the models) that leave some 80,000 tracked
# long-lived objects; the cyclic garbage collector would walk them again and again while they
# load (~10 % of a short command's CPU). It stays off until the command is parsed, then
# core.cli freezes what was loaded out of its sight and turns it back on.
gc.disable()

from core.cli import main
from core.platform.processes import allow_forking, exit_now

allow_forking()  # this process's workers start as forks of it, its imports done
status = main()
# What the command made since (mapped classes configured, compiled statements, modules it
# imported on the way) is frozen too, so that no collection on the way out walks it.
gc.freeze()
# The exit without the interpreter's teardown of every module (core/platform/processes.py):
# ~7 ms of a short command's time, spent after its work is done, while its caller waits.
exit_now(status)
