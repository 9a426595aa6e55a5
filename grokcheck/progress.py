"""Progress of `grokcheck run`: over claims, and over the sub-runs inside each claim.

On a terminal: tqdm bars, one over the claims (count, elapsed, ETA from the claims done so far)
and one per running claim over its sub-runs (`Context.memo` calls; ETA when the claim's previous
run recorded how many it has, in store.json). Log lines (`ctx.log`) print above the bars.
Elsewhere (CI, pipes, files): plain lines, each with a `HH:MM:SS` timestamp; sub-run ticks are
folded into one line at most every `PLAIN_TICK_S` seconds per claim, so a 500-run sweep does not
flood a CI log.

tqdm rather than rich: tqdm is one small pure-Python package with no dependencies, its bars
survive interleaved `tqdm.write` lines and several bars at once (the `--jobs N` case), and we
need nothing of rich's (tables, markup, live layouts). Without tqdm installed the plain lines are
used everywhere.

A closed stdout (`grokcheck run A B | head -1`, a reader that went away) never stops or fails a
run: inside `pipe_safe_stdout()` the first write that meets a broken pipe points file descriptor 1
at /dev/null, and from then on the run prints nothing more, while it goes on computing and
storing every claim; its exit code is the one it would have had (the verdicts), and one line on
stderr says that the output was cut. Any other failed write (stdout on a full disk, `> /dev/full`)
is handled the same way but is an error: one line on stderr, and `run` exits 3 once every claim
is stored.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time

PLAIN_TICK_S = 10.0  # plain mode: at most one sub-run line per claim per 10 s


def _tqdm():
    try:
        from tqdm import tqdm
        return tqdm
    except ImportError:
        return None


class Progress:
    """Progress of `total` claims written to `stream` (default stdout); `live` None: bars when the
    stream is a terminal and tqdm is installed, else plain timestamped lines."""

    def __init__(self, total: int, stream=None, live: bool | None = None):
        self.stream = stream or sys.stdout
        tqdm = _tqdm()
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.live = bool(tqdm) and (isatty if live is None else live)
        self.total, self.done = total, 0
        self.bars, self.counts, self.last_tick, self.started = {}, {}, {}, {}
        self.outer = tqdm(total=total, desc="claims", unit="claim", file=self.stream,
                          dynamic_ncols=True) if self.live else None

    # --- output ---------------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """One line above the bars (live) or with a timestamp (plain)."""
        if self.live:
            self.outer.write(text, file=self.stream)
        else:
            print(f"{time.strftime('%H:%M:%S')} {text}", file=self.stream, flush=True)

    # --- events ---------------------------------------------------------------------------------
    def claim_started(self, claim: str, header: str, expected_subruns: int | None = None) -> None:
        self.started[claim] = time.perf_counter()
        self.counts[claim] = [0, 0]
        self.last_tick[claim] = time.perf_counter()
        self.line(header)
        if self.live:
            self.bars[claim] = _tqdm()(total=expected_subruns or None, desc=f"  {claim}", unit="sub-run",
                                       file=self.stream, leave=False, dynamic_ncols=True)

    def log(self, claim: str, msg: str, elapsed: float | None = None) -> None:
        if elapsed is None:
            elapsed = time.perf_counter() - self.started.get(claim, time.perf_counter())
        self.line(f"    [{claim} {elapsed:7.1f}s] {msg}")

    def subrun(self, claim: str, name: str, cached: bool, seconds: float) -> None:
        counts = self.counts.setdefault(claim, [0, 0])
        counts[0] += 1
        counts[1] += bool(cached)
        if self.live and claim in self.bars:
            bar = self.bars[claim]
            if bar.total is not None and bar.n >= bar.total:
                bar.total = None  # more sub-runs than last time: drop the ETA rather than lie
            bar.set_postfix_str(f"{counts[1]} from cache", refresh=False)
            bar.update(1)
        elif not self.live and time.perf_counter() - self.last_tick.get(claim, 0.0) >= PLAIN_TICK_S:
            self.last_tick[claim] = time.perf_counter()
            self.log(claim, f"{counts[0]} sub-runs done ({counts[1]} from cache), last: {name} {seconds:.1f}s")

    def claim_finished(self, claim: str, text: str) -> None:
        bar = self.bars.pop(claim, None)
        if bar is not None:
            bar.close()
        n, cached = self.counts.pop(claim, [0, 0])
        if n:
            text += f" ({n} sub-runs, {cached} from cache)"
        self.done += 1
        if self.outer is not None:
            self.outer.update(1)
        self.line(text)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()
        if self.outer is not None:
            self.outer.close()
            self.outer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def silence_stdout(stream=None) -> None:
    """Point the file descriptor of `stream` (default: the real stdout under any wrapper) at
    /dev/null, so nothing more written to it (not even the flush at exit) fails."""
    stream = stream if stream is not None else getattr(sys.stdout, "_stream", sys.stdout)
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)


class _PipeSafe:
    """A text stream that turns a failed write into silence (module docstring). `broken`: the
    output was cut; `error`: the OSError when the cause was not a closed pipe (e.g. a full disk)."""

    def __init__(self, stream):
        self._stream = stream
        self.broken = False
        self.error: OSError | None = None

    def _silence(self, exc: OSError) -> None:
        if self.broken:
            return
        self.broken = True
        silence_stdout(self._stream)
        if isinstance(exc, BrokenPipeError):
            print("grokcheck: note: stdout was closed; going on without printing", file=sys.stderr, flush=True)
        else:
            self.error = exc
            print(f"grokcheck: error: cannot write to stdout ({exc.strerror or exc}); going on without "
                  "printing", file=sys.stderr, flush=True)

    def write(self, text):
        if self.broken:
            return len(text)
        try:
            return self._stream.write(text)
        except OSError as exc:
            self._silence(exc)
            return len(text)

    def flush(self):
        if self.broken:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            self._silence(exc)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def pipe_safe_stdout():
    """While active, sys.stdout survives a closed pipe or a failing device (module docstring);
    yields the wrapper (`.broken`: the output was cut, `.error`: why, unless a closed pipe)."""
    if isinstance(sys.stdout, _PipeSafe):
        yield sys.stdout
        return
    old = sys.stdout
    safe = _PipeSafe(old)
    sys.stdout = safe
    try:
        yield safe
    finally:
        safe.flush()  # what is still buffered meets the failure here, not at interpreter exit
        sys.stdout = old
        if safe.broken:  # the buffer still holds text for the dead output: drop it quietly
            with contextlib.suppress(OSError, ValueError):
                old.flush()
