"""Writing result files whole or not at all; a refused run leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _missing_folders(folder: Path) -> list[Path]:
    """The folders from ``folder`` upwards that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def atomic_write(path: str | Path, write: Callable[[str], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    Missing folders are created first, and removed again if the write fails (a full disk, say),
    so a failed write leaves neither half a file nor an empty folder. The file gets the
    permissions any new file would (mkstemp's are private).

    Raises:
        OSError: The file could not be written; ``path`` is as it was before.
    """
    path = Path(path)
    created = _missing_folders(path.parent)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C included: nothing of this call is left behind
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        for folder in created:  # deepest first; only what this call made
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def check_writable(path: str | Path) -> None:
    """Raise OSError now, before any work, if ``path`` could not be written later.

    Creates nothing that outlives the call: where folders are missing, the nearest existing one
    is probed for room to create them.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    missing = _missing_folders(path.parent)
    nearest = missing[-1].parent if missing else path.parent
    if not nearest.is_dir():
        raise NotADirectoryError(f"{nearest} is not a folder")
    if missing:
        os.rmdir(tempfile.mkdtemp(dir=nearest, prefix=f".{missing[-1].name}.", suffix=".probe"))
    else:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(tmp)
