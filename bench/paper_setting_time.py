"""Time the paper's classification setting (NGD lr 10, l_inf 1e-20, n = 2p^(5/3), h = 4p, R runs) for K steps,
end to end (setup and the two evaluations included), with whichever grokcheck is on PYTHONPATH: `old` trains
with `models.batched.train_batched` (works on commit 744d824, the batched path of issue 27's day), `new` with
`models.fused.train_fused`; the setting is `paper_setting.case`. The speed-up is the ratio of two runs' seconds (alternate them: the CPU is shared).

    git worktree add --detach ../old 744d824
    PYTHONPATH=../old python bench/paper_setting_time.py 47 8 float64 1000 old
    PYTHONPATH=. python bench/paper_setting_time.py 47 8 float64 1000 new
"""
import argparse
import time

ap = argparse.ArgumentParser(description="the paper's classification setting timed end to end")
ap.add_argument("p", type=int)
ap.add_argument("R", type=int)
ap.add_argument("dtype", choices=["float32", "float64"])
ap.add_argument("K", type=int, help="steps")
ap.add_argument("which", choices=["old", "new"])
args = ap.parse_args()
p, R, dtype, K, which = args.p, args.R, args.dtype, args.K, args.which
if which == "new":
    from grokcheck.numerics import set_numerics
    set_numerics(0)
from paper_setting import case, n_paper, step_flops  # noqa: E402 (after the path's grokcheck is chosen)

models, data, masks, cfg = case(p, R, dtype, "cpu", K)
t = time.perf_counter()
if which == "old":
    from grokcheck.models.batched import quadratic_pairs_forward, train_batched
    h, _ = train_batched(models, data, masks, cfg, forward=lambda m, inp: m.logits(inp[:, 0], inp[:, 1]),
                         batched_forward=quadratic_pairs_forward)
else:
    from grokcheck.models.fused import train_fused
    h, _ = train_fused(models, data, masks, cfg)
t = time.perf_counter() - t
flops = step_flops(p, n_paper(p)) * R * K
print(f"{which} p={p} R={R} {dtype} K={K}: {t:.2f} s, {1e3 * t / K:.2f} ms/step, {flops / t / 1e9:.1f} GFLOP/s, "
      f"final test acc {[round(v.metrics['test_acc'][-1], 3) for v in h][:4]}", flush=True)
