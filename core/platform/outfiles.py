"""Files the CLI writes where the user says (``--out PATH``): one rule for every command.

An existing regular file is replaced only with ``--force``; anything else at that path (a folder,
a device, a symbolic link) is never replaced, and a missing folder is not created (a typo in a
folder name should not scatter files). The writers themselves make the file appear whole.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

from core.platform.errors import ValidationError


def check_out_path(path: Path, force: bool) -> None:
    """Raise a ``ValidationError`` saying why ``path`` may not be written; None when it may."""
    if not path.name or path.name in (".", ".."):
        raise ValidationError(f"Cannot write {path}: give a file name, not a folder.")
    if not path.parent.is_dir():
        raise ValidationError(f"Cannot write {path}: the folder {path.parent} does not exist "
                              "(create it first).")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a symbolic link" if stat.S_ISLNK(mode)
                else "not a regular file")
        raise ValidationError(f"Cannot write {path}: it exists and is {kind}; it is never "
                              "replaced. Choose another path.")
    if not force:
        raise ValidationError(f"{path} already exists: add --force to replace it.")


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) so that ``path`` appears only complete: a part file of its own,
    then a rename."""
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
