"""Runs that never leave the kernel give t_exit = None; the claim's check rejects an early exit."""
import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.ntk.diagnostics import Linearized, event_steps, scale_free_kernel_distance
from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.theory.tasks import binary_table, one_hot_pairs
from grokcheck.claims.mohamadi import kernel_exit as ke


def test_linearized_model_never_exits():
    """The linearized net f_0 + J_0 (theta - theta_0), trained by GD until it fits, keeps K_t = K_0."""
    p = 5
    pairs, labels = binary_table(p)
    x = one_hot_pairs(pairs, p, dtype=torch.float64)  # (25, 10)
    lin = Linearized(QuadraticNet(p, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    K0 = empirical_ntk(lin, x, method="jacobian", output=0)  # (25, 25)
    dist = []

    def cb(step, model, metrics):
        dist.append(scale_free_kernel_distance(empirical_ntk(model, x, method="jacobian", output=0), K0))

    h = train(lin, Data(x, labels), Data(x[:0], labels[:0]), TrainConfig(steps=60, lr=2.0, optimizer="ngd",
              dtype="float64", eval_steps=(0, 1, 3, 10, 30, 60)), callbacks=[cb])
    assert max(h.metrics["l2"]) > 1.5 * h.metrics["l2"][0]  # it did move
    ev = event_steps(h.steps, h.metrics["train_acc"], h.metrics["train_acc"], dist, exit_threshold=ke.EXIT_D)
    assert ev["t_exit"] is None and max(dist) < 1e-10


def test_tiny_lr_network_never_exits_but_real_lr_does():
    cfg = ke.Config(ps=(7,), subset=49)
    tiny = ke.run_one(7, 0, "GD lr 1", 1.0, cfg, steps=20, lr=1e-5)
    assert tiny["events"]["t_exit"] is None
    moving = ke.run_one(7, 0, "AdamW lr 1e-2 wd 1", 1.0, cfg, steps=40)  # negative control of the test
    assert moving["events"]["t_exit"] is not None


def _ev(t_fit, t_exit, d_fit, d_max=0.2):
    return {"p": 23, "t_fit": t_fit, "t_exit": t_exit, "t_gen": None, "dist_fit": d_fit, "dist_max": d_max,
            "rel_drift_fit": 1.0, "rel_drift_max": 10.0, "after_acc_fit": 0.0, "after_acc_end": 0.9,
            "test_acc_end": 0.9}


def test_claim_check_accepts_late_exit_and_rejects_early_exit():
    good = ke.setting_observables("s", [_ev(100, 300, 0.001)], 1000)
    assert all(o.passed for o in good if o.role == "claim")
    never = ke.setting_observables("s", [_ev(100, None, 0.001)], 1000)  # never exits: not before the fit
    assert all(o.passed for o in never if o.role == "claim")
    early = ke.setting_observables("s", [_ev(100, 300, 0.001), _ev(100, 5, 0.15)], 1000)
    assert not any(o.passed for o in early if o.role == "claim")
    unfit = ke.setting_observables("s", [_ev(None, 5, None)], 1000)  # no fit: no evidence for the claim
    assert not any(o.passed for o in unfit if o.role == "claim")
