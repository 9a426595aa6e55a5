"""Input validation at the model / ntk / training boundary:
every bad input gives a one-line ValueError that names the argument."""
import math

import pytest
import torch

from grokcheck.models.batched import quadratic_pairs_forward, train_batched
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.ntk import empirical_ntk, quadratic_ntk, regression_ntk
from grokcheck.theory.tasks import binary_table
from grokcheck.theory.validation import check_real

P = 5


def net(p=P, width=6, seed=0):
    return QuadraticNet(p, width, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def pairs(*rows):
    return torch.tensor(rows, dtype=torch.long)


def pair_forward(m, x):
    return m.logits(x[:, 0], x[:, 1])


def _train(targets):
    x, _ = binary_table(P)
    train(net(), Data(x[:10], targets), Data(x[:0], targets[:0]), TrainConfig(steps=1, lr=0.1), forward=pair_forward)


def _batched(lrs=None, test_overlap=False, widths=(6, 6)):
    x, y = binary_table(P)
    models = [net(width=w, seed=i) for i, w in enumerate(widths)]
    masks = torch.zeros(len(widths), len(y), dtype=torch.bool)
    masks[:, :10] = True
    test = ~masks
    if test_overlap:
        test[0, 0] = True
    train_batched(models, Data(x, y), masks, TrainConfig(steps=1, lr=0.1), test_masks=test, lrs=lrs,
                  batched_forward=quadratic_pairs_forward)


CASES = {  # id: (call, the argument the message must name)
    "logits negative id": (lambda: net().logits(torch.tensor([-1]), torch.tensor([0])), "pairs"),
    "logits id >= p": (lambda: net().logits(torch.tensor([P]), torch.tensor([0])), "pairs"),
    "logits float ids": (lambda: net().logits(torch.tensor([0.0]), torch.tensor([1.0])), "integer"),
    "logits 2-D a": (lambda: net().logits(pairs([0, 1]), pairs([0, 1])), "1-D"),
    "regression_output pairs": (lambda: net().regression_output(pairs([0, 1])), "triples"),
    "regression_output c >= p": (lambda: net().regression_output(pairs([0, 1, P])), "triples"),
    "forward long pairs": (lambda: net()(pairs([0, 1])), "forward"),
    "empirical_ntk float pairs": (lambda: empirical_ntk(net(), torch.tensor([[0.0, 1.0]])), "x1"),
    "empirical_ntk 1-D input": (lambda: empirical_ntk(net(), torch.tensor([0, 1])), "x1"),
    "empirical_ntk triples": (lambda: empirical_ntk(net(), pairs([0, 1, 2])), "x1"),
    "empirical_ntk id >= p": (lambda: empirical_ntk(net(), pairs([0, 1]), pairs([P, 0])), "x2"),
    "empirical_ntk not one-hot": (lambda: empirical_ntk(net(), torch.full((2, 2 * P), 0.5)), "one-hot"),
    "closed_form negative": (lambda: empirical_ntk(net(), pairs([-1, 0]), method="closed_form"), "x1"),
    "regression_ntk pairs": (lambda: regression_ntk(net(), pairs([0, 1])), "triples"),
    "regression_ntk pairs closed": (lambda: regression_ntk(net(), pairs([0, 1]), method="closed_form"), "triples"),
    "regression_ntk float": (lambda: regression_ntk(net(), torch.tensor([[0.0, 1.0, 2.0]])), "triples"),
    "quadratic_ntk bad shapes": (lambda: quadratic_ntk(torch.zeros(4, 7), torch.zeros(3, 4), pairs([0, 1])), "W"),
    "train labels >= p": (lambda: _train(torch.full((10,), P)), "targets"),
    "train negative labels": (lambda: _train(torch.full((10,), -1)), "targets"),
    "TrainConfig nan lr": (lambda: TrainConfig(steps=1, lr=math.nan), "lr"),
    "TrainConfig negative lr": (lambda: TrainConfig(steps=1, lr=-0.1), "lr"),
    "TrainConfig nan penalty_weight": (lambda: TrainConfig(steps=1, lr=0.1, penalty_weight=math.nan), "penalty_weight"),
    "TrainConfig inf weight_decay": (lambda: TrainConfig(steps=1, lr=0.1, weight_decay=math.inf), "weight_decay"),
    "TrainConfig negative weight_decay": (lambda: TrainConfig(steps=1, lr=0.1, weight_decay=-1.0), "weight_decay"),
    "TrainConfig beta 1": (lambda: TrainConfig(steps=1, lr=0.1, betas=(0.9, 1.0)), "betas"),
    "QuadraticNet nan init_scale": (lambda: QuadraticNet(P, 4, init_scale=math.nan), "init_scale"),
    "QuadraticNet inf init_scale": (lambda: QuadraticNet(P, 4, init_scale=math.inf), "init_scale"),
    "QuadraticNet zero init_scale": (lambda: QuadraticNet(P, 4, init_scale=0.0), "init_scale"),
    "train_batched negative lrs": (lambda: _batched(lrs=[0.1, -0.1]), "lrs"),
    "train_batched nan lrs": (lambda: _batched(lrs=[0.1, math.nan]), "lrs"),
    "train_batched overlapping masks": (lambda: _batched(test_overlap=True), "test_masks"),
    "train_batched mixed widths": (lambda: _batched(widths=(6, 8)), "architecture"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_one_line_value_error(case):
    call, name = CASES[case]
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert name in msg and "\n" not in msg, msg


def test_one_hot_pairs_are_accepted_and_equal_index_pairs():
    """The quadratic net's eNTK takes exact one-hot pairs (N, 2p) as the same points as index pairs."""
    x, _ = binary_table(P)
    one_hot = torch.cat([torch.nn.functional.one_hot(x[:, 0], P), torch.nn.functional.one_hot(x[:, 1], P)], 1).double()
    m = net()
    for method in ("closed_form", "jacobian"):
        k_idx = empirical_ntk(m, x, method=method)
        k_hot = empirical_ntk(m, one_hot, method=method)
        assert torch.equal(k_idx, k_hot), method


def test_closed_form_is_a_function_of_the_weights():
    """quadratic_ntk(W, V, pairs) is what empirical_ntk(method='closed_form') returns, and it matches
    the Jacobian reference for every output convention."""
    m = net(width=7)
    x = pairs([0, 1], [2, 2], [4, 0], [1, 3])
    for output in ("trace_mean", "trace_sum", "full", 2):
        k = quadratic_ntk(m.W, m.V, x, output=output)
        assert torch.equal(k, empirical_ntk(m, x, method="closed_form", output=output)), output
        ref = empirical_ntk(m, x, method="jacobian", output=output)
        assert torch.allclose(k, ref, rtol=1e-10, atol=1e-12), output


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, True, "1"])
def test_check_real_rejects(value):
    with pytest.raises(ValueError, match="x "):
        check_real("x", value, 0.0)


def test_valid_inputs_still_train():
    """The checks are not over-eager: a valid run trains and the first step is found by theory.delay."""
    x, y = binary_table(P)
    h = train(net(), Data(x, y), Data(x[:0], y[:0]), TrainConfig(steps=3, lr=0.1), forward=pair_forward)
    assert h.device == "cpu" and h.first_step("train_acc", 0.0) == 0
    assert h.events({"t0": ("train_loss", math.inf, "<=")}) == {"t0": 0}
    with pytest.raises(KeyError):
        h.first_step("nope", 1.0)
