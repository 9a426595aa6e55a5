"""Unit tests of models/linear.py and the batched nuclear penalty (models/penalties.py)."""
import pytest
import torch

from grokcheck.models.linear import (SensingModel, SignedDiagonalNet, fit_runs, ista_hook, prox_step, sensing_data)
from grokcheck.models.penalties import penalty_subgradient, penalty_value, prox_l1, prox_nuclear
from grokcheck.models.train import TrainConfig, loss_fn
from grokcheck.theory.sparse import gaussian_sensing, low_rank_matrix, sparse_vector

RTOL_F64 = 1e-10  # float64, a few hundred flops on O(1) numbers


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def problem(K=2, N=30, n=100):
    g = gen()
    X = torch.stack([gaussian_sensing(N, n, g) for _ in range(K)])  # (K, N, n)
    A = torch.stack([sparse_vector(n, 5, g) for _ in range(K)])     # (K, n)
    return X, A, torch.einsum("knd,kd->kn", X, A)


def test_sensing_data_gives_half_sum_of_squares():
    X, A, y = problem()
    m = SensingModel(2, 100, init=0.01)
    d = sensing_data(X, y)
    with torch.no_grad():
        got = float(loss_fn(m(d.inputs), d.targets, "mse"))
    want = 0.5 * float(((torch.einsum("knd,kd->kn", X, m.a.detach()) - y) ** 2).sum())
    assert got == pytest.approx(want, rel=RTOL_F64)


def test_sensing_data_rejects_bad_shapes():
    X, A, y = problem()
    with pytest.raises(ValueError):
        sensing_data(X, y[:, :5])


def test_train_gd_l1_matches_manual_subgradient_steps():
    X, A, y = problem()
    lr, beta, steps = 0.1, 1e-3, 50
    m = SensingModel(2, 100, init=1e-6)
    fit_runs(m, X, y, A, TrainConfig(steps=steps, lr=lr, penalty="l1", penalty_weight=beta, loss="mse",
                                     dtype="float64", eval_steps=(0, steps)))
    a = torch.full((2, 100), 1e-6, dtype=torch.float64)
    for _ in range(steps):
        r = torch.einsum("knd,kd->kn", X, a) - y
        a = a - lr * (torch.einsum("knd,kn->kd", X, r) + beta * torch.sign(a))
    assert torch.allclose(m.a.detach(), a, rtol=RTOL_F64, atol=RTOL_F64)


def test_ista_hook_matches_prox_step():
    X, A, y = problem()
    lr, beta, steps = 0.1, 1e-3, 40
    m = SensingModel(2, 100, init=1e-6)
    fit_runs(m, X, y, A, TrainConfig(steps=steps, lr=lr, loss="mse", dtype="float64", eval_steps=(0, steps)),
             post_step=ista_hook(lr, beta))
    a = torch.full((2, 100), 1e-6, dtype=torch.float64)
    for _ in range(steps):
        a = prox_step(a, X, y, lr, beta)
    assert torch.allclose(m.a.detach(), a, rtol=RTOL_F64, atol=RTOL_F64)
    assert int((a == 0).sum()) > 0  # soft thresholding makes exact zeros


def test_prox_operators():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5], dtype=torch.float64)
    assert torch.equal(prox_l1(x, 0.5), torch.tensor([-1.5, 0.0, 0.0, 0.0, 1.0], dtype=torch.float64))
    M = low_rank_matrix(6, 5, 2, gen())
    s = torch.linalg.svdvals(M)
    s_out = torch.linalg.svdvals(prox_nuclear(M, float(s[1]) / 2))
    assert torch.allclose(s_out[:2], s[:2] - float(s[1]) / 2, rtol=RTOL_F64)
    assert float(s_out[2:].abs().max()) < 1e-9


def test_batched_nuclear_subgradient_and_value():
    M = torch.stack([low_rank_matrix(6, 6, 6, gen(k)) for k in range(3)])  # (3, 6, 6), full rank
    G = penalty_subgradient("nuclear", [M])[0]
    for k in range(3):
        u, _, vh = torch.linalg.svd(M[k])
        assert torch.allclose(G[k], u @ vh, atol=RTOL_F64)
        assert torch.allclose(penalty_subgradient("nuclear", [M[k]])[0], u @ vh, atol=RTOL_F64)
    want = sum(float(torch.linalg.svdvals(M[k]).sum()) for k in range(3))
    assert float(penalty_value("nuclear", [M])) == pytest.approx(want, rel=RTOL_F64)
    # the nuclear subgradient is the gradient of sum of singular values (autograd reference)
    Mg = M.clone().requires_grad_(True)
    penalty_value("nuclear", [Mg]).backward()
    assert torch.allclose(Mg.grad, G, atol=1e-8)


def test_l1_subgradient_sign_zero():
    x = torch.tensor([-1.0, 0.0, 2.0])
    assert torch.equal(penalty_subgradient("l1", [x])[0], torch.tensor([-1.0, 0.0, 1.0]))


def test_signed_diagonal_net_can_fit_negative_coefficients():
    # reference repo defect A5.1: a = a_1^L with identical positive factors stays >= 0
    net = SignedDiagonalNet(1, 3, depth=2, init=0.0)
    with torch.no_grad():
        net.v.fill_(1.0)
    assert float(net.vector().detach().max()) == -1.0
    with pytest.raises(ValueError):
        SignedDiagonalNet(1, 3, depth=0)


def test_prox_step_rejects_unknown_penalty():
    X, A, y = problem()
    with pytest.raises(ValueError):
        prox_step(A, X, y, 0.1, 1e-3, penalty="l2")


# --- the batched trainer (train_linear) against today's loop (fit_runs = models/train.py) --------

def serial(X, y, A, lr, beta, steps, penalty=None, depth=None, init=1e-6, shape=None, ista=False):
    """One fit_runs per run: the serial reference, {"final" (R, d), "records" [(steps, train, test)]}."""
    from grokcheck.theory.delay import fine_grid
    finals, records = [], []
    for r in range(X.shape[0]):
        lr_r, b_r, s_r = float(lr[r]), float(beta[r]), int(steps[r])
        m = SensingModel(1, X.shape[2], init=float(init[r]) if torch.is_tensor(init) else init, shape=shape) \
            if depth is None else SignedDiagonalNet(1, X.shape[2], depth, init=float(init[r]))
        cfg = TrainConfig(steps=s_r, lr=lr_r, penalty=None if ista or b_r == 0 else penalty,
                          penalty_weight=0.0 if ista else b_r, loss="mse", dtype="float64", eval_steps=fine_grid(s_r))
        o = fit_runs(m, X[r:r + 1], y[r:r + 1], A[r:r + 1], cfg,
                     post_step=ista_hook(lr_r, b_r, penalty) if ista else None)
        finals.append(m.vector().detach()[0])
        records.append((o["steps"], o["train_err"][:, 0], o["test_err"][:, 0]))
    return {"final": torch.stack(finals), "records": records}


def assert_agree(out, ref, tol=1e-9):
    from grokcheck.models.linear import run_view
    assert torch.allclose(out["final"], ref["final"], rtol=tol, atol=tol)
    for r, (steps, tr, te) in enumerate(ref["records"]):
        v = run_view(out, [r])
        assert v["steps"] == list(steps)
        assert torch.allclose(v["train_err"][:, 0], tr, rtol=tol, atol=tol)
        assert torch.allclose(v["test_err"][:, 0], te, rtol=tol, atol=tol)


def per_run(*values):
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("ista", [False, True])
def test_train_linear_l1_matches_serial_runs_with_per_run_lr_beta_steps(ista):
    from grokcheck.models.linear import train_linear
    X, A, y = problem(K=3)
    X, A, y = torch.cat([X, X[:2]]), torch.cat([A, A[:2]]), torch.cat([y, y[:2]])  # runs 3, 4 share data with 0, 1
    lr, beta, steps = per_run(0.1, 0.2, 0.15, 0.2, 0.05), per_run(1e-3, 5e-4, 0.0, 2e-3, 1e-3), [120, 200, 80, 60, 200]
    out = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="l1", ista=ista)
    assert_agree(out, serial(X, y, A, lr, beta, steps, penalty="l1", ista=ista))
    assert out["last"].tolist() == steps and (out["diverged"] == -1).all()


def completion_problem(g):
    """Four 6 x 6 rank-2 completion runs (25 observed entries each); run 3 shares run 0's data."""
    mats = [low_rank_matrix(6, 6, 2, g) for _ in range(3)]
    X = torch.stack([torch.eye(36, dtype=torch.float64)[torch.randperm(36, generator=g)[:25]] for _ in mats])
    A = torch.stack([m.reshape(-1) for m in mats])
    y = torch.einsum("knd,kd->kn", X, A)
    return torch.cat([X, X[:1]]), torch.cat([A, A[:1]]), torch.cat([y, y[:1]])


@pytest.mark.parametrize("ista", [False, True])
def test_train_linear_nuclear_matches_serial_runs(ista):
    from grokcheck.models.linear import train_linear
    g = gen(3)
    X, A, y = completion_problem(g)
    lr, beta, steps = per_run(0.5, 1.0, 0.8, 1.0), per_run(2e-2, 4e-2, 1e-2, 4e-2), [60, 90, 90, 40]
    out = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="nuclear", shape=(6, 6), ista=ista)
    assert_agree(out, serial(X, y, A, lr, beta, steps, penalty="nuclear", shape=(6, 6), ista=ista))


def test_train_linear_depth_matches_serial_runs_with_per_run_init():
    from grokcheck.models.linear import train_linear
    X, A, y = problem(K=3)
    lr, init, steps = per_run(0.2, 0.1, 0.2), per_run(1e-3, 1e-2, 1e-1), [150, 150, 100]
    out = train_linear(X, y, A, lr=lr, steps=steps, depth=2, init=init)
    assert_agree(out, serial(X, y, A, lr, per_run(0, 0, 0), steps, depth=2, init=init))


def test_train_linear_early_stop_freezes_a_stopped_run():
    from grokcheck.models.linear import run_view, train_linear
    X, A, y = problem(K=3)
    lr, beta, steps = per_run(0.2, 0.2, 0.2), per_run(1e-3, 1e-3, 0.0), [4000, 4000, 300]
    thr = 0.2
    out = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="l1", stop_threshold=thr)
    last = out["last"].tolist()
    assert last[0] < steps[0] and last[2] == steps[2]          # run 0 recovered and stopped; beta = 0 never does
    for r in (0, 1):
        v = run_view(out, [r])
        assert float(v["test_err"][-1, 0]) <= thr and v["steps"][-1] == last[r]   # the stop step is its t2
        assert float(v["test_err"][:-1, 0].max()) > thr
        after = [i for i, t in enumerate(out["steps"]) if t > last[r]]
        assert torch.isnan(out["test_err"][after, r]).all()     # no record after the stop
    # frozen: the stopped run's final map is the serial run's map at its stop step, not at steps[0]
    ref = serial(X[:1], y[:1], A[:1], lr[:1], beta[:1], [last[0]], penalty="l1")
    assert torch.allclose(out["final"][0], ref["final"][0], rtol=1e-9, atol=1e-12)
    longer = serial(X[:1], y[:1], A[:1], lr[:1], beta[:1], [last[0] + 50], penalty="l1")
    assert not torch.allclose(out["final"][0], longer["final"][0], rtol=1e-9, atol=1e-12)


def test_shared_data_groups():
    from grokcheck.models.linear import shared_data_groups
    X, A, y = problem(K=2)
    X2 = X.clone()
    X2[1, 0, 0] += 1e-12                                              # not the same data: its own group
    assert shared_data_groups(torch.cat([X, X, X2]), torch.cat([y, y, y])) == [[0, 2, 4], [1, 3], [5]]


def test_train_linear_rejects_bad_per_run_settings():
    from grokcheck.models.linear import train_linear
    X, A, y = problem(K=3)
    with pytest.raises(ValueError):
        train_linear(X, y, A, lr=per_run(0.1, 0.2), steps=10)          # 2 lrs for 3 runs
    with pytest.raises(ValueError):
        train_linear(X, y, A, lr=0.1, steps=[10, 10])                  # 2 step counts for 3 runs
    with pytest.raises(ValueError):
        train_linear(X, y, A, lr=0.1, steps=10, penalty="nuclear")     # no matrix shape


def test_train_linear_a_diverging_run_stops_alone():
    from grokcheck.models.linear import run_view, train_linear
    X, A, y = problem(K=1)
    X, A, y = X.repeat(2, 1, 1), A.repeat(2, 1), y.repeat(2, 1)      # one data set, two slots
    lr, beta, steps = per_run(10.0, 0.1), per_run(1e-3, 1e-3), [400, 400]
    out = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="l1")
    assert int(out["diverged"][0]) > 0 and int(out["diverged"][1]) == -1   # lr 10 >> 2 / lambda_max blows up
    assert not torch.isfinite(run_view(out, [0])["train_err"][-1]).all()
    healthy = {"steps": out["steps"], "train_err": out["train_err"][:, 1:], "test_err": out["test_err"][:, 1:],
               "final": out["final"][1:], "diverged": out["diverged"][1:]}          # the other slot is untouched
    assert_agree(healthy, serial(X[1:], y[1:], A[1:], lr[1:], beta[1:], steps[1:], penalty="l1"))


def test_train_linear_per_entry_init_starts_each_run_at_its_own_matrix():
    """An (R, d) init (the paper's completion start A0 = 1e-6 I) is each run's initial a: the batched runs equal
    serial runs whose parameter starts there; a constant (R, d) init equals the scalar one bit for bit; a
    wrong shape is refused."""
    from grokcheck.models.linear import train_linear
    from grokcheck.theory.delay import fine_grid
    g = gen(4)
    X, A, y = completion_problem(g)
    lr, beta, steps = per_run(0.5, 1.0, 0.8, 0.5), per_run(2e-2, 4e-2, 1e-2, 2e-2), [60, 90, 40, 60]
    eye = torch.eye(6, dtype=torch.float64)
    init = 1e-6 * torch.stack([eye, 2 * eye, eye[torch.randperm(6, generator=g)], 3 * eye + 1]).reshape(4, -1)
    out = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="nuclear", shape=(6, 6), init=init)
    finals, records = [], []
    for r in range(4):
        m = SensingModel(1, 36, shape=(6, 6))
        with torch.no_grad():
            m.a.copy_(init[r].reshape(1, 6, 6))
        cfg = TrainConfig(steps=steps[r], lr=float(lr[r]), penalty="nuclear", penalty_weight=float(beta[r]), loss="mse",
                          dtype="float64", eval_steps=fine_grid(steps[r]))
        o = fit_runs(m, X[r:r + 1], y[r:r + 1], A[r:r + 1], cfg)
        finals.append(m.vector().detach()[0])
        records.append((o["steps"], o["train_err"][:, 0], o["test_err"][:, 0]))
    assert_agree(out, {"final": torch.stack(finals), "records": records})
    start = train_linear(X, y, A, lr=lr, steps=0, shape=(6, 6), init=init)["final"]
    assert torch.equal(start, init)                                     # 0 steps: the run is its init
    const = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="nuclear", shape=(6, 6),
                         init=torch.full((4, 36), 1e-6, dtype=torch.float64))
    scalar = train_linear(X, y, A, lr=lr, beta=beta, steps=steps, penalty="nuclear", shape=(6, 6), init=1e-6)
    assert torch.equal(const["final"], scalar["final"]) and torch.equal(const["test_err"].nan_to_num(-1), scalar["test_err"].nan_to_num(-1))
    with pytest.raises(ValueError):
        train_linear(X, y, A, lr=lr, steps=5, shape=(6, 6), init=init[:, :30])
