"""grokcheck.safeio: atomic writes that never follow a symlink or leave a temp file, reads that
never block on a special file or read without bound, a writable-folder probe, SIGTERM as an
exception. Fast unit tests (the CLI-level faults are in tests/test_faults.py)."""
import os
import signal
import stat
import time

import pytest

from grokcheck import safeio
from grokcheck.safeio import (NotRegularFile, Terminated, atomic_write_bytes, check_writable_dir,
                              read_regular_bytes, terminate_on_sigterm)


def test_atomic_write_creates_the_folder_and_writes_the_bytes(tmp_path):
    path = tmp_path / "a" / "b" / "f.bin"
    atomic_write_bytes(path, b"\x00data")
    assert path.read_bytes() == b"\x00data"
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(path.parent) == ["f.bin"]


def test_atomic_write_gives_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o640
    assert safeio.current_umask() == old


def test_atomic_write_replaces_a_symlink_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "f"
    link.symlink_to(victim)
    atomic_write_bytes(link, b"new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes() == b"new"


@pytest.mark.parametrize("error", [KeyboardInterrupt, Terminated, OSError])
def test_atomic_write_leaves_no_temp_file_when_interrupted(tmp_path, monkeypatch, error):
    def fail(src, dst):
        raise error("stop")
    monkeypatch.setattr(safeio.os, "replace", fail)
    with pytest.raises(error):
        atomic_write_bytes(tmp_path / "f", b"x")
    assert os.listdir(tmp_path) == []


def test_read_regular_bytes_reads_a_file_whole(tmp_path):
    data = os.urandom(3 * (1 << 20) + 7)  # more than one read chunk would need at a smaller size
    (tmp_path / "f").write_bytes(data)
    assert read_regular_bytes(tmp_path / "f") == data
    assert read_regular_bytes(tmp_path / "f", limit=len(data)) == data
    (tmp_path / "empty").write_bytes(b"")
    assert read_regular_bytes(tmp_path / "empty") == b""


def test_read_regular_bytes_refuses_a_file_over_the_limit(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 11)
    with pytest.raises(NotRegularFile, match="larger than 10 bytes") as exc:
        read_regular_bytes(tmp_path / "f", limit=10)
    assert exc.value.reason == "larger than 10 bytes"


@pytest.mark.parametrize("kind, reason", [("fifo", "a FIFO"), ("dir", "a directory"), ("dev", "a character device"),
                                          ("link-to-fifo", "a FIFO")])
def test_read_regular_bytes_refuses_special_files_without_blocking(tmp_path, kind, reason):
    path = tmp_path / "x"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "dev":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(tmp_path / "fifo")
        path.symlink_to(tmp_path / "fifo")
    signal.alarm(10)  # a blocking open would hang: fail instead
    try:
        with pytest.raises(NotRegularFile) as exc:
            read_regular_bytes(path)
    finally:
        signal.alarm(0)
    assert exc.value.reason == f"{reason}, not a regular file" and str(path) in str(exc.value)
    assert isinstance(exc.value, OSError)


def test_read_regular_bytes_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular_bytes(tmp_path / "missing")


def test_read_regular_bytes_closes_what_it_opens(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    os.mkfifo(tmp_path / "p")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        read_regular_bytes(tmp_path / "f")
        with pytest.raises(NotRegularFile):
            read_regular_bytes(tmp_path / "p")
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("bad", [None, "", "   "])
def test_check_writable_dir_refuses_an_empty_path(bad):
    with pytest.raises(ValueError, match="must not be empty"):
        check_writable_dir(bad)


def test_check_writable_dir_creates_and_probes_without_leaving_a_file(tmp_path):
    out = check_writable_dir(tmp_path / "new" / "dir")
    assert out.is_dir() and os.listdir(out) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a writable folder"):
        check_writable_dir(tmp_path / "file")
    with pytest.raises(ValueError, match="not a writable folder"):
        check_writable_dir(str(tmp_path) + "/a\0b")


def test_sigterm_raises_terminated_and_the_handler_is_restored():
    old = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated, match=f"signal {int(signal.SIGTERM)}"):
        with terminate_on_sigterm():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts the sleep
    assert signal.getsignal(signal.SIGTERM) is old
    assert not issubclass(Terminated, Exception)


def test_atomic_write_with_umask_0_gives_0o666_and_a_hidden_temp_in_the_folder(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append((src, dst))
        return real(src, dst)
    monkeypatch.setattr(safeio.os, "replace", spy)
    old = os.umask(0)
    try:
        atomic_write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o666
    (src, dst), = seen
    src = os.fspath(src)
    assert os.path.dirname(src) == str(tmp_path) and os.path.basename(src).startswith(".f.") and src.endswith(".tmp")


def test_current_umask_without_proc_leaves_the_umask_unchanged(monkeypatch):
    old = os.umask(0o027)
    try:
        assert safeio.current_umask() == 0o027
        monkeypatch.setattr(safeio.Path, "read_text", lambda self: (_ for _ in ()).throw(OSError("no /proc")))
        assert safeio.current_umask() == 0o027
        assert os.umask(0o027) == 0o027  # still the same after the fallback's set-and-restore
    finally:
        os.umask(old)


def test_read_regular_bytes_reads_past_one_chunk_and_names_the_file_over_the_limit(tmp_path):
    data = os.urandom((1 << 24) + 5)  # one 16 MiB read is not enough
    (tmp_path / "big").write_bytes(data)
    assert read_regular_bytes(tmp_path / "big") == data
    with pytest.raises(NotRegularFile) as exc:
        read_regular_bytes(tmp_path / "big", limit=1 << 24)
    assert str(exc.value) == f"{tmp_path / 'big'} is larger than {1 << 24} bytes"


def test_check_writable_dir_accepts_an_existing_folder_and_probes_inside_it(tmp_path, monkeypatch):
    import tempfile
    (tmp_path / "d").mkdir()
    dirs = []
    real = tempfile.mkstemp

    def spy(*a, **kw):
        dirs.append(kw.get("dir"))
        return real(*a, **kw)
    monkeypatch.setattr(safeio.tempfile, "mkstemp", spy)
    assert check_writable_dir(tmp_path / "d") == tmp_path / "d"
    assert dirs == [tmp_path / "d"] and os.listdir(tmp_path / "d") == []
