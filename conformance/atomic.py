"""Files written whole or not at all: a temporary file beside the target, renamed over it at the end.

Why: a report is the verdict of a run. Written in place, an interrupted run leaves half a file (or,
as the CLI once did, deletes the previous one before the run and writes nothing); two runs at once
interleave. os.replace() within one directory is atomic on POSIX: readers see the old file or the
new one, never a mix, and nothing is lost when the writer dies before the rename.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path`.

    A reader (or an interrupted run) never sees half a file, and an existing file is replaced only
    by a complete new one. A symlink is followed: its target is replaced, the link stays.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(path)


def replace_atomic(tmp: Path | str, path: Path | str) -> Path:
    """Rename a finished temporary file (written by someone else, e.g. pytest's JUnit) over `path`."""
    target = Path(os.path.realpath(path))
    os.chmod(tmp, _file_mode(target))
    os.replace(tmp, target)
    return Path(path)


def temp_path_beside(path: Path | str) -> Path:
    """An unused name beside `path` for a file someone else writes (pytest's JUnit); not created."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")


def _file_mode(target: Path) -> int:
    """The existing file's mode, or what a plain open() would give (mkstemp makes 0600 files)."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
