"""grokcheck quickstart: an eNTK, a kernel regression, one claim and its figures (about 20 s on a CPU).

    python examples/quickstart.py [--out DIR]      # figures go to DIR (default: a new temp folder)

1. The empirical NTK at initialization of the quadratic network f(x) = V (W x)^2 of Mohamadi+24 on
   all p^2 pairs (a, b) of modular addition (`grokcheck.ntk.empirical_ntk`, closed form, float64).
2. Kernel ridge regression with that kernel on a random half of the pairs, one-hot targets
   (`grokcheck.ntk.regression.kernel_regression`): an equivariant kernel cannot learn a + b mod p
   from a constant fraction of the pairs (Thm 4.3), so its test accuracy stays low.
3. One claim at ci scale through the Python API (`grokcheck.run`), its observables as a pandas
   DataFrame (`Result.to_frame`) and its report figures written as PNG files.
"""
import argparse
import tempfile
from pathlib import Path

import torch

import grokcheck
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk import empirical_ntk
from grokcheck.ntk.regression import kernel_regression, one_hot_targets
from grokcheck.registry import claim_module
from grokcheck.streams import generator
from grokcheck.theory.tasks import binary_table, split_indices


def main(out: Path) -> dict:
    p, seed = 23, 0
    x, y = binary_table(p)  # (p^2, 2) index pairs, (p^2,) labels (a + b) mod p
    net = QuadraticNet(p, 8 * p, generator=generator(seed, "init"), dtype=torch.float64)
    K = empirical_ntk(net, x, method="closed_form", output="trace_mean")  # (p^2, p^2) float64
    print(f"1. eNTK at init: {tuple(K.shape)} {K.dtype}, mean diagonal {K.diagonal().mean():.4g}")

    tr, te = split_indices(len(y), 0.5, generator(seed, "split"))
    Y = one_hot_targets(y, p)  # (p^2, p)
    fit = kernel_regression(K[tr][:, tr], Y[tr], K[te][:, tr], ridge=1e-6, y_test=Y[te])
    print(f"2. kernel regression on half the pairs: test accuracy {fit.test_accuracy:.3f}, "
          f"test l2 {fit.test_l2:.3f} (an equivariant kernel stays near chance, Thm 4.3)")

    result = grokcheck.run("construction", scale="ci")
    frame = result.to_frame()
    print(f"3. claim {result.claim}: {result.verdict_label()}; {len(frame)} observables")
    print(frame[["setting", "role", "name", "value", "bound", "passed"]].to_string(max_colwidth=50))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, fig in enumerate(claim_module(result.claim).figures(result), 1):
        paths.append(out / f"{result.claim}_{i}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    print(f"   figures: {', '.join(str(q) for q in paths)}")
    return {"K": K, "fit": fit, "result": result, "figures": paths}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="folder for the figures (default: a new temp folder)")
    args = ap.parse_args()
    main(Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="grokcheck-quickstart-")))
