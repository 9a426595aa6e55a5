"""Safe file writes: atomic, never through a fixed or symlinked name, umask modes, and no
temp file left behind on SIGTERM.

- `atomic_write_bytes(path, data)`: a temp file made by `tempfile.mkstemp` in the target folder
  (O_CREAT | O_EXCL with a random name, so it never opens an existing file or follows a symlink),
  given the mode an ordinary `open()` would give (0o666 & ~umask; mkstemp's 0600 is not kept),
  then `os.replace`d onto `path` (a rename replaces a symlink at `path`, never writes through it).
  Any exception, KeyboardInterrupt and `Terminated` included, removes the temp file.
- `check_writable_dir(path)`: create the folder and prove it writable with an `mkstemp` probe (no
  fixed probe name: two processes never race on it, a planted symlink is never followed).
- `read_regular_bytes(path, limit)`: the bytes of a regular file, never blocking and never
  unbounded: the file is opened with O_NONBLOCK (a FIFO opens at once instead of waiting for a
  writer), `fstat`ed on the open descriptor (no race with a swap of the name) and refused unless
  it is a regular file (a FIFO, a device such as /dev/zero, a directory, a socket, or a symlink
  to one of them); more than `limit` bytes is refused too. Every stored file grokcheck reads
  back (result.json, store.json, sub-run cache entries) goes through it.
- `terminate_on_sigterm()`: while active, SIGTERM raises `Terminated` (a BaseException) so that
  `finally` / cleanup code runs; the CLI exits 143 on it.
"""
from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path


MAX_READ_BYTES = 1 << 34  # 16 GiB: more than any result or sub-run grokcheck writes


class NotRegularFile(OSError):
    """A stored file that is not a regular file, or larger than allowed; `reason` says which."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path} is {reason}")
        self.reason = reason


class Terminated(BaseException):
    """Raised by the SIGTERM handler of `terminate_on_sigterm` (not an Exception: never swallowed
    by per-claim isolation)."""


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (Linux >= 4.7)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (module docstring); creates the parent folder.

    Raises: OSError (e.g. PermissionError for a read-only folder), with no temp file left."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            os.fchmod(fd, 0o666 & ~current_umask())
            with os.fdopen(fd, "wb") as fh:
                fd = None
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            if fd is not None:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_bytes(path, limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of the regular file `path` (module docstring).

    Raises: FileNotFoundError when absent; NotRegularFile (an OSError) for a FIFO, device,
    directory or socket, or a file over `limit` bytes; OSError when unreadable."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, f"{_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise NotRegularFile(path, f"larger than {limit} bytes")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 24, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise NotRegularFile(path, f"larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_writable_dir(path) -> Path:
    """`path` as an existing writable folder (created if missing); ValueError with one line if not."""
    if path is None or str(path).strip() == "":
        raise ValueError("output folder must not be empty")
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not out.is_dir():
            raise NotADirectoryError(20, "not a directory")
        fd, probe = tempfile.mkstemp(dir=out, prefix=".grokcheck-probe-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except (OSError, ValueError) as exc:  # ValueError: an embedded null byte in the path
        raise ValueError(f"{path!s:.200}: not a writable folder ({getattr(exc, 'strerror', None) or exc})") from None
    return out


@contextlib.contextmanager
def terminate_on_sigterm():
    """While active (main thread only), SIGTERM raises `Terminated`; the old handler is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
