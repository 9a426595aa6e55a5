"""Issue 17's probe table: every reproduction of the issue, each asserting a one-line error or the
documented behaviour (README "Exit codes and errors").

Two tables: CLI probes (argv -> exit code and a one-line stderr matching a pattern, never a
traceback) and API probes (a call -> ValueError whose one-line message matches a pattern). The
probes that need a signal, a planted symlink or a umask live in tests/test_cli.py
(test_sigterm_exits_143_and_leaves_no_temp_file, test_symlinked_probe_name_never_truncates_victim,
test_files_follow_the_umask, test_read_only_*), and the result.json variants (issue item 1, 14+
shapes) in tests/test_result_schema.py.
"""
from __future__ import annotations

import math
import re

import pytest
import torch

from test_cli import fakes, run_cli  # noqa: F401  (the fake-claim registry fixture)

# ------------------------------------------------------------------------------------ CLI probes
# (id, argv with {out} for the output folder, exit code, stderr pattern or None for "no stderr")
CLI_PROBES = [
    ("1-seed-neg-no-run", ["run", "construction", "kernel-lower-bound", "equivariance", "--scale", "ci",
                           "--seed", "-1", "--out", "{out}"], 2, r"seed must be in \[0, 2\*\*63\)"),
    ("1-crash-isolated", ["run", "fake-crash", "fake-ok", "--out", "{out}"], 3,
     r"fake-crash: RuntimeError: boom; traceback in .*error\.log"),
    ("2-seed-2**70", ["run", "fake-ok", "--seed", str(2 ** 70), "--out", "{out}"], 2, r"seed must be in"),
    ("2-seed-neg5-l1", ["run", "l1-sparse-recovery", "--scale", "ci", "--seed", "-5", "--out", "{out}"], 2,
     r"seed must be in"),
    ("2-seed-text", ["run", "fake-ok", "--seed", "2**70", "--out", "{out}"], 2, r"seed must be an integer"),
    ("10-out-empty", ["run", "fake-ok", "--out", ""], 2, r"--out must not be empty"),
    ("10-report-out-empty", ["report", "--out", ""], 2, r"--out must not be empty"),
    ("10-duplicate-claim", ["run", "fake-ok", "fake-ok", "--out", "{out}"], 0, r"given 2 times; running it once"),
    ("usage-unknown-claim", ["run", "nope", "--out", "{out}"], 2, r"unknown claim 'nope'"),
    ("usage-report-missing-folder", ["report", "--out", "{out}/missing"], 2, r"no such folder"),
    ("ok-fake", ["run", "fake-ok", "--out", "{out}"], 0, None),
]


@pytest.mark.parametrize("probe", CLI_PROBES, ids=[p[0] for p in CLI_PROBES])
def test_cli_probe(probe, tmp_path, capsys, fakes, monkeypatch):  # noqa: F811
    _, argv, code, pattern = probe
    monkeypatch.chdir(tmp_path)
    got, _, err = run_cli(capsys, *[a.replace("{out}", str(tmp_path / "out")) for a in argv])
    assert got == code, err
    assert "Traceback" not in err
    if pattern is None:
        assert err.strip() == ""
    else:
        assert len(err.strip().splitlines()) == 1 and re.search(pattern, err), err


# ------------------------------------------------------------------------------------ API probes

def _k(n=4):
    a = torch.randn(n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    return a @ a.T + n * torch.eye(n, dtype=torch.float64)   # (n, n) SPD


def _kreg(**changes):
    from grokcheck.ntk.regression import kernel_regression
    k, y = _k(), torch.ones(4, 3, dtype=torch.float64)
    args = {"k_train_train": k, "y_train": y, "k_test_train": k[:2], **changes}
    return lambda: kernel_regression(args["k_train_train"], args["y_train"], args["k_test_train"],
                                     ridge=args.get("ridge", 0.0))


def _nan_at(t, i=0):
    t = t.clone()
    t.view(-1)[i] = math.nan
    return t


def _asym():
    k = _k()
    k[0, 1] += 1.0
    return k


def _ctx_notes_string():
    from grokcheck.core import Claim, Observable
    from grokcheck.context import Context
    from test_cli import FakeConfig
    Context().result(Claim("x", "", "", ""), FakeConfig(), [Observable("a", 1.0, 2.0, "<=")], notes="one note")


def _write_notes_string(tmp_path):
    from grokcheck.core import Observable, Result
    from grokcheck.schema import write_result
    r = Result("x", "", "", "", "ci", {}, "", 0, [Observable("a", 1.0, 2.0, "<=")], notes="abc")
    write_result(r, tmp_path / "result.json")


def _run_claim_seed(seed):
    from grokcheck.registry import run_claim
    return lambda: run_claim("l1-sparse-recovery", "ci", seed=seed)


def _config(**changes):
    import dataclasses
    from grokcheck.registry import prepare, claim_module

    def call():
        module = claim_module("equivariance")
        bad = dataclasses.replace(module.SCALES["ci"], **changes)
        module.SCALES = {**module.SCALES, "ci": bad}
        prepare("equivariance", "ci")
    return call


def _quadratic(a, b):
    from grokcheck.models.quadratic import QuadraticNet
    return lambda: QuadraticNet(5, 8).logits(torch.tensor(a), torch.tensor(b))


def _train_config(**kw):
    from grokcheck.models.train import TrainConfig
    return lambda: TrainConfig(**{"steps": 10, "lr": 0.1, **kw})


def _entk(x, method="jacobian"):
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.ntk.empirical import empirical_ntk
    return lambda: empirical_ntk(QuadraticNet(5, 8), x, method=method)


def _regression_ntk_pairs():
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.ntk.empirical import regression_ntk
    return regression_ntk(QuadraticNet(5, 8), torch.zeros(3, 2, dtype=torch.long))


def _train_labels_ge_p():
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.models.train import Data, TrainConfig, train
    pairs = torch.zeros(4, 2, dtype=torch.long)
    data = Data(pairs, torch.tensor([0, 1, 2, 5]))            # label 5 = p: out of range
    net = QuadraticNet(5, 8)
    train(net, data, data, TrainConfig(steps=2, lr=0.1), forward=lambda m, x: m.logits(x[:, 0], x[:, 1]))


# (id, thunk or thunk(tmp_path), message pattern); each must raise ValueError with a one-line message
API_PROBES = [
    ("2-run-claim-seed-neg5", _run_claim_seed(-5), r"seed must be in \[0, 2\*\*63\)"),
    ("2-run-claim-seed-2**70", _run_claim_seed(2 ** 70), r"seed must be in"),
    ("2-run-claim-seed-float", _run_claim_seed(1.5), r"seed must be an integer"),
    ("3-token-id-eq-p", _quadratic([5], [0]), r"\[0, 5\)"),
    ("3-token-id-neg", _quadratic([-1], [0]), r"\[0, 5\)"),
    ("3-entk-3-columns", _entk(torch.zeros(3, 3, dtype=torch.long)), r"."),
    ("9-entk-float-pairs", _entk(torch.zeros(3, 2)), r"."),
    ("9-entk-1d-input", _entk(torch.zeros(3, dtype=torch.long)), r"."),
    ("9-entk-b-eq-p", _entk(torch.tensor([[0, 5]])), r"\[0, 5\)"),
    ("9-entk-vp-b-eq-p", _entk(torch.tensor([[0, 5]]), method="ntk_vp"), r"\[0, 5\)"),
    ("9-regression-ntk-pairs", _regression_ntk_pairs, r"."),
    ("9-train-label-ge-p", _train_labels_ge_p, r"."),
    ("4-penalty-weight-nan", _train_config(penalty_weight=math.nan), r"penalty_weight"),
    ("4-weight-decay-nan", _train_config(weight_decay=math.nan), r"weight_decay"),
    ("4-init-scale-inf", lambda: __import__("grokcheck.models.quadratic", fromlist=["QuadraticNet"])
     .QuadraticNet(5, 8, init_scale=math.inf), r"init_scale"),
    ("8-kreg-nan-y", _kreg(y_train=_nan_at(torch.ones(4, 3, dtype=torch.float64))), r"y_train has 1 non-finite"),
    ("8-kreg-nan-k", _kreg(k_train_train=_nan_at(_k(), 5)), r"k_train_train has 1 non-finite"),
    ("8-kreg-inf-ktest", _kreg(k_test_train=torch.full((2, 4), math.inf, dtype=torch.float64)),
     r"k_test_train has 8 non-finite"),
    ("8-kreg-asymmetric", _kreg(k_train_train=_asym()), r"not symmetric"),
    ("8-kreg-n0", _kreg(k_train_train=torch.zeros(0, 0, dtype=torch.float64),
                        y_train=torch.zeros(0, 3, dtype=torch.float64),
                        k_test_train=torch.zeros(2, 0, dtype=torch.float64)), r"at least one training point"),
    ("8-kreg-ridge-nan", _kreg(ridge=math.nan), r"ridge must be a real number in \[0, "),
    ("8-kreg-ridge-inf", _kreg(ridge=math.inf), r"ridge must be a real number in \[0, "),
    ("8-kreg-1d-k", _kreg(k_train_train=torch.ones(4, dtype=torch.float64)), r"need k_train_train \(n, n\)"),
    ("10-notes-string-context", _ctx_notes_string, r"notes must be a list of strings"),
    ("10-notes-string-write", _write_notes_string, r"field 'notes'"),
    ("config-nan-float", _config(fraction=math.nan), r"Config.fraction must be float \(finite\)"),
    ("config-float-for-int", _config(p=7.0), r"Config.p must be int"),
    ("config-bool-for-int", _config(width=True), r"Config.width must be int"),
    ("config-string-for-float", _config(linf_penalty="1e-4"), r"Config.linf_penalty must be float"),
    ("config-list-for-tuple", _config(optimizers=["gd"]), r"Config.optimizers must be tuple"),
]


@pytest.mark.parametrize("probe", API_PROBES, ids=[p[0] for p in API_PROBES])
def test_api_probe(probe, tmp_path, monkeypatch):
    from grokcheck.registry import claim_module
    _, thunk, pattern = probe
    monkeypatch.setattr(claim_module("equivariance"), "SCALES", dict(claim_module("equivariance").SCALES))
    call = (lambda: thunk(tmp_path)) if thunk.__code__.co_argcount else thunk
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert len(message.strip().splitlines()) == 1 and re.search(pattern, message), message
