"""PKU transformer runs batched over replicates: wall time of R runs trained one after another
(`_grokking_runs.run_one`) against the same R runs as one batched program (`run_batched`), both on one
thread, as ratios.

Setting: the course project's transformer recipe at a chosen size (default: the ci/default-scale
recipe p = 23, width 32, 1 block, 4 heads, AdamW lr 1e-2, batch 64, fraction 0.5), R replicates
(split, init and minibatch streams i < R), `--steps` steps, 5 evaluations. Printed per R: seconds
sequential, seconds batched, speed-up (sequential / batched), and the batched cost of R runs relative
to one run alone (1.0 = "R runs cost what 1 did").

    python bench/bench_pku_batched.py [--p 23] [--d 32] [--layers 1] [--rs 1 3 5] [--steps 200] [--repeats 2]

On a shared CPU take the best of --repeats; the ratios are what count. Measured on the idle 2-core
machine (best of 2): width 32, 1 block, 150 steps: speed-up 1.34 (R = 1), 1.19 (R = 3), 1.46 (R = 5);
the paper's width 128, 2 blocks, p = 41, 60 steps: 1.12 (R = 1), 0.78 (R = 5), hence
`_grokking_runs.BATCH_MAX_D`.
"""
from __future__ import annotations

import argparse

from bench_linear import best as best_time  # the bench scripts' best-of-repeats timer
from grokcheck.claims.pku._grokking_runs import RunSpec, run_batched, run_one


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, default=23)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rs", type=int, nargs="+", default=[1, 3, 5])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args(argv)
    spec = lambda i: RunSpec(p=a.p, d=a.d, layers=a.layers, heads=4, lr=1e-2, batch_size=a.batch,  # noqa: E731
                             fraction=0.5, steps=a.steps, n_eval=5, index=i)
    one = None
    print(f"p={a.p} d={a.d} layers={a.layers} batch={a.batch} steps={a.steps}, one thread, best of {a.repeats}")
    print(f"{'R':>3} {'sequential s':>13} {'batched s':>10} {'speed-up':>9} {'batched / one run':>18}")
    for R in a.rs:
        specs = [spec(i) for i in range(R)]
        seq = best_time(lambda: [run_one(s) for s in specs], a.repeats)
        bat = best_time(lambda: run_batched(specs) if R > 1 else [run_one(specs[0])], a.repeats)
        one = one or (seq / R)
        print(f"{R:>3} {seq:>13.2f} {bat:>10.2f} {seq / bat:>9.2f} {bat / one:>18.2f}")


if __name__ == "__main__":
    main()
