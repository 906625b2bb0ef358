"""Atomic file output: nothing half-written is ever left at the destination."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_writable", "reproducible_metadata"]


def check_writable(path: str | os.PathLike) -> Path:
    """Raise ValueError naming ``path`` unless it can be written, before any work is done.

    Refused: a directory; a missing or read-only folder; an existing file that is not a regular
    file, or is read-only — its owner-write mode bit is clear (checked on the mode bits, because
    ``os.access`` says yes to root) or the OS denies writing. Returns ``Path(path)``.
    """
    path = Path(path)
    if not str(path).strip():
        raise ValueError("output path is empty; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"output path {str(path)!r} is a directory; give a file name")
    if not folder.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: {str(folder)!r} does not exist or is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")
    if path.exists() or path.is_symlink():
        try:
            info = path.stat()
        except OSError as err:
            raise ValueError(f"cannot write {str(path)!r}: {err.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"cannot write {str(path)!r}: it exists and is not a regular file")
        if not info.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise ValueError(f"cannot write {str(path)!r}: the existing file is read-only "
                             f"(mode {stat.S_IMODE(info.st_mode):o}); remove it, make it writable "
                             "(chmod u+w) or choose another name")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); on success move it into place.

    An existing file keeps its permission bits; a new one gets 0666 minus the umask. On any
    exception (also KeyboardInterrupt) the temporary file is removed and ``path`` is untouched.

    >>> with atomic_path("out.csv") as tmp:   # doctest: +SKIP
    ...     write_everything_to(tmp)
    """
    path = check_writable(path)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def reproducible_metadata(fmt: str) -> dict:
    """``savefig(metadata=...)`` that leaves out dates and versions for ``fmt``."""
    fmt = fmt.lower()
    if fmt == "png":
        return {"Software": None}
    if fmt in ("pdf",):
        return {"Creator": None, "Producer": None, "CreationDate": None}
    if fmt in ("svg",):
        return {"Creator": None, "Date": None}
    if fmt in ("ps", "eps"):
        return {"Creator": None}
    return {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
