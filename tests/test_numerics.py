"""numerics.set_numerics / keep_heap: TF32 off, and a heap that keeps its pages between steps (glibc)."""
import platform
import subprocess
import sys
import textwrap

import pytest
import torch

from grokcheck import numerics

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# A training step's activations in a fresh process: four 4 MiB buffers live at once, then freed;
# prints the minor page faults of 20 such steps (after 3 warm-up steps).
_STEPS = textwrap.dedent("""
    import resource, sys, torch
    from grokcheck.numerics import keep_heap
    if sys.argv[1] == "1":
        assert keep_heap()
    faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    def step():
        bufs = [torch.empty(1 << 20).fill_(1.0) for _ in range(4)]
        del bufs
    for _ in range(3):
        step()
    f0 = faults()
    for _ in range(20):
        step()
    print(faults() - f0)
""")


def _faults(keep: bool) -> int:
    out = subprocess.run([sys.executable, "-c", _STEPS, "1" if keep else "0"], capture_output=True, text=True,
                         check=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_keep_heap_keeps_the_step_buffers_paged_in():
    """With keep_heap a step's freed buffers stay in the process: at most a few steps' worth of page
    faults in 20 steps (measured: 0, or 4097 when the heap grew once more during the loop), where a
    heap given back after every step faults ~4096 pages per step (81 280 measured). Whether the
    default heap does that depends on what else sits at its top, so only the kept side is asserted
    here, and the settings themselves below."""
    assert _faults(True) < 3 * 4096


def test_keep_heap_sets_both_glibc_thresholds(monkeypatch):
    """The two mallopt calls, with the documented values; a failing call is reported as False."""
    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(numerics.platform, "system", lambda: "Linux")
    monkeypatch.setattr(numerics.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(numerics.ctypes, "CDLL", lambda name: FakeLibc())
    assert numerics.keep_heap() is True
    assert sorted(calls) == sorted([(-3, 32 << 20), (-1, 256 << 20)])  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    FakeLibc.mallopt = lambda self, param, value: 0
    assert numerics.keep_heap() is False


def test_keep_heap_is_a_no_op_off_glibc(monkeypatch):
    monkeypatch.setattr(numerics.platform, "system", lambda: "Darwin")
    assert numerics.keep_heap() is False


def test_set_numerics_turns_tf32_off():
    torch.backends.cuda.matmul.allow_tf32 = True
    numerics.set_numerics()
    assert torch.backends.cuda.matmul.allow_tf32 is False
    assert torch.backends.cudnn.allow_tf32 is False
