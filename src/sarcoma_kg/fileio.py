"""Safe output: the one place every command writes a product through.

A product is written to a temporary file beside its target, then renamed over it, so a failed or interrupted
run leaves the previous output intact and readers never see half a file. Before anything is written the
target is checked, because an output must never destroy what stood at the path:

- an output that is one of the command's inputs (same file, through any link) is refused: the input would be
  replaced by the product (``cases import sheet.csv -o sheet.csv``);
- a directory, FIFO, socket or device is never replaced (``-o /dev/stdout`` as root would replace the node);
- a read-only file is refused: its owner made it so;
- a replaced file keeps its permission bits and owner and group (a 0600 patient file stays 0600); when the
  owner cannot be kept (another user's file), the write is refused;
- a symbolic link is written through: its target is replaced atomically and the link stays as it was;
- an empty result (no bytes, or ``items=0``: no triples, no cases) is written only with ``allow_empty``, so a
  run that found nothing cannot silently replace the previous output with nothing.

Every refusal is an ``OutputError`` (exit 2) naming the path; nothing is changed when it is raised.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

__all__ = ["OutputError", "atomic_writer", "check_output", "write_atomic"]

PathLike = str | os.PathLike[str]


class OutputError(InputError):
    """An output path that must not be written: an input, a non-regular file, a read-only file, an empty result."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_output(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Path:
    """The file that writing ``path`` would replace (a symbolic link resolved), after every check above.

    ``OutputError`` when the path is empty, is one of ``inputs``, is not a regular file or is read-only.

    >>> check_output("")
    Traceback (most recent call last):
    ...
    sarcoma_kg.fileio.OutputError: the output path is empty: give a file name
    """
    if not os.fspath(path):
        raise OutputError("the output path is empty: give a file name")
    shown = Path(path)
    real = Path(os.path.realpath(path))
    for source in inputs:
        if not os.fspath(source) or str(source) == "-":
            continue
        same = os.path.realpath(source) == str(real)
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(source, real)
        if same:
            raise OutputError(f"{shown}: is also an input of this command: refusing to write over it")
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write it: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{shown}: is {_kind(info.st_mode)}, not a file: refusing to replace it")
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise OutputError(f"{shown}: is read-only: refusing to replace it (make it writable first)")
    return real


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (``os.umask`` sets it, for all threads)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _keep_metadata(tmp: str, previous: os.stat_result | None, shown: Path) -> None:
    if previous is None:  # a new file: what open() would have given it
        os.chmod(tmp, 0o666 & ~_umask())
        return
    os.chmod(tmp, stat.S_IMODE(previous.st_mode))
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) != (previous.st_uid, previous.st_gid):
        try:
            os.chown(tmp, previous.st_uid, previous.st_gid)
        except PermissionError:
            raise OutputError(
                f"{shown}: belongs to another user or group that this process cannot give the new file: "
                "refusing to replace it"
            ) from None


@contextlib.contextmanager
def atomic_writer(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Iterator[BinaryIO]:
    """Yield a binary file handle; on success the content replaces ``path``, on error nothing changes.

    The target is checked first (:func:`check_output`); a replaced file keeps its mode, owner and group.
    """
    shown = Path(path)
    real = check_output(path, inputs=inputs)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # Checked again at the end: the path may have changed while the product was computed.
        real = check_output(path, inputs=inputs)
        try:
            previous = os.stat(real)
        except FileNotFoundError:
            previous = None
        _keep_metadata(tmp, previous, shown)
        try:
            os.replace(tmp, real)
        except OSError as exc:
            raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(
    path: PathLike,
    data: bytes,
    *,
    inputs: Iterable[PathLike] = (),
    items: int | None = None,
    allow_empty: bool = False,
) -> Path:
    """Write ``data`` to ``path`` safely (see the module) and return the path.

    ``items`` is how many things the product holds (triples, cases, rows) when empty bytes are not the only
    sign of an empty result (a Turtle file of no triples still has prefixes). An empty result is refused
    unless ``allow_empty``; the refusal leaves the previous file as it was.
    """
    inputs = tuple(inputs)
    if not allow_empty and (len(data) == 0 or items == 0):
        check_output(path, inputs=inputs)
        raise OutputError(f"{Path(path)}: the result is empty: nothing written (pass --allow-empty to write it)")
    with atomic_writer(path, inputs=inputs) as handle:
        handle.write(data)
    return Path(path)
