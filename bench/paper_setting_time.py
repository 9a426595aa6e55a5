"""Time the paper's classification setting (NGD lr 10, l_inf 1e-20, n = 2p^(5/3), h = 4p, R runs) for K steps,
end to end (setup and the two evaluations included), with whichever grokcheck is on PYTHONPATH: `old` trains
with `models.batched.train_batched` (works on commit 744d824, the batched path of issue 27's day), `new` with
`models.fused.train_fused`. The speed-up is the ratio of two runs' seconds (alternate them: the CPU is shared).

    git worktree add --detach ../old 744d824
    PYTHONPATH=../old python bench/paper_setting_time.py 47 8 float64 1000 old
    PYTHONPATH=. python bench/paper_setting_time.py 47 8 float64 1000 new
"""
import argparse
import time

import torch

ap = argparse.ArgumentParser(description="the paper's classification setting timed end to end")
ap.add_argument("p", type=int)
ap.add_argument("R", type=int)
ap.add_argument("dtype", choices=["float32", "float64"])
ap.add_argument("K", type=int, help="steps")
ap.add_argument("which", choices=["old", "new"])
args = ap.parse_args()
p, R, dtype, K, which = args.p, args.R, args.dtype, args.K, args.which
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.tasks import binary_table, split_indices
if which == "new":
    from grokcheck.numerics import set_numerics
    set_numerics(0)
x, y = binary_table(p)
N = len(y); n = min(p * p - 1, round(2 * p ** (5 / 3)))
masks = torch.zeros(R, N, dtype=torch.bool)
for r in range(R):
    masks[r, split_indices(N, n / N, seed=r)[0]] = True
dt = {"float32": torch.float32, "float64": torch.float64}[dtype]
models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(r), dtype=dt) for r in range(R)]
cfg = TrainConfig(steps=K, lr=10.0, optimizer="ngd", penalty="linf", penalty_weight=1e-20, dtype=dtype, eval_steps=(0, K))
t = time.perf_counter()
if which == "old":
    from grokcheck.models.batched import quadratic_pairs_forward, train_batched
    h, _ = train_batched(models, Data(x, y), masks, cfg, forward=lambda m, inp: m.logits(inp[:, 0], inp[:, 1]),
                         batched_forward=quadratic_pairs_forward)
else:
    from grokcheck.models.fused import train_fused
    h, _ = train_fused(models, Data(x, y), masks, cfg)
t = time.perf_counter() - t
flops = 3 * 2 * n * 4 * p * p * R * K
print(f"{which} p={p} R={R} {dtype} K={K}: {t:.2f} s, {1e3 * t / K:.2f} ms/step, {flops / t / 1e9:.1f} GFLOP/s, "
      f"final test acc {[round(v.metrics['test_acc'][-1], 3) for v in h][:4]}", flush=True)
