"""What every command-line entry point (``python -m core``, ``python -m core.worker``) shares:
argument types that refuse out-of-range values while parsing, input files checked for size
before they are read, and one wrapper that turns any error into a message and an exit status.

Exit statuses: 0 done; 1 the command worked but what it waited for did not complete
(``errors.Unfinished``: a failed run, a page that could not be audited); 2 anything refused or
wrong (bad arguments, a bad file, not found, not allowed, or an unexpected error: never a
traceback).
"""

from __future__ import annotations

import argparse
import logging
import stat
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from core.platform.errors import ScrapeDeckError, Unfinished, ValidationError

log = logging.getLogger("scrapedeck.commands")

EXIT_UNFINISHED, EXIT_ERROR = 1, 2
MAX_COUNT = 1_000_000  # --limit, --events, --max-pages…: far above any real use, far below SQL's


def count(low: int = 1, high: int = MAX_COUNT) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (argparse reports anything else)."""
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}")
        return value
    parse.__name__ = "count"
    return parse


def seconds(high: float = 86_400.0) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds in [0, high]."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a number") from None
        if not 0.0 <= value <= high:  # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"must be between 0 and {high:g} seconds")
        return value
    parse.__name__ = "seconds"
    return parse


def identifier(text: str) -> uuid.UUID:
    """An argparse type: a record id (a UUID)."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not an id (a UUID)") from None


def read_file(path: str, what: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, refused before reading when it is bigger than
    ``max_bytes`` (or not a regular file: a FIFO or a device could be endless)."""
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError(f"Cannot read {path}: {what} must be a regular file.")
        if info.st_size > max_bytes:
            raise ValidationError(f"{what} {path} is {info.st_size:,} bytes; the limit is "
                                  f"{max_bytes:,}.")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # it could have grown since stat
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(data) > max_bytes:
        raise ValidationError(f"{what} {path} is larger than {max_bytes:,} bytes.")
    return data


def read_text_file(path: str, what: str, max_bytes: int) -> str:
    try:
        return read_file(path, what, max_bytes).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"Cannot read {path}: it is not UTF-8 text ({exc.reason} at byte "
                              f"{exc.start}).") from exc


def run_command(command: Callable[[], int]) -> int:
    """Run one command; every error becomes ``error: …`` on stderr and an exit status."""
    try:
        return command()
    except Unfinished as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNFINISHED
    except ScrapeDeckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except RecursionError:
        print("error: the input is nested too deeply to process.", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a command never ends in a traceback
        log.debug("unexpected error", exc_info=True)
        print(f"error: unexpected {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return EXIT_ERROR
