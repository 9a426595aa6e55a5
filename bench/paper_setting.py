"""The paper's classification setting as the bench scripts build it (Mohamadi+24 Sec. 5): p^2 addition pairs,
n = 2 p^(5/3) training pairs per run (own split per run), QuadraticNet width h = 4p, normalized GD lr 10 with the
l_inf penalty 1e-20, R runs (seeds 0..R-1). Imports only what commit 744d824 already had, so
`paper_setting_time.py` can time that commit's batched path with it."""
from __future__ import annotations

import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.tasks import binary_table, split_indices

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def n_paper(p: int) -> int:
    """The paper's classification budget n = 2 p^(5/3) (below p^2)."""
    return min(p * p - 1, round(2 * p ** (5 / 3)))


def step_flops(p: int, n: int) -> int:
    """Matmul FLOPs of one step of one run: 3 x 2 n h p with h = 4p (module docstring)."""
    return 3 * 2 * n * (4 * p) * p


def case(p: int, R: int, dtype: str, device, steps: int = 1):
    """(models, data, masks, config) of the paper's classification setting, R runs, seeds 0..R-1."""
    x, y = binary_table(p)
    N = len(y)
    masks = torch.zeros(R, N, dtype=torch.bool)
    for r in range(R):
        masks[r, split_indices(N, n_paper(p) / N, seed=r)[0]] = True
    models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(r), dtype=DTYPES[dtype], device=device)
              for r in range(R)]
    cfg = TrainConfig(steps=steps, lr=10.0, optimizer="ngd", penalty="linf", penalty_weight=1e-20, dtype=dtype,
                      eval_steps=(0, steps))
    return models, Data(x.to(device), y.to(device)), masks.to(device), cfg
