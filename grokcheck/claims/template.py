"""Template claim: copy this module to start a new claim (it is not registered).

Claim (source: the paper, section and theorem it checks): here, "the Gram matrix of a random
matrix has a positive trace", a stand-in statement.

Decisive rule, written before the claim is run: the median over `runs` independent draws of the
trace (its order-statistic interval with exact coverage, `rules.interval_rule`) lies above 0.
Reason for the threshold: a Gram matrix is positive semi-definite, so its trace is >= 0 and > 0
almost surely. Control (the same rule fed a wrong input it must reject): the traces with their
sign flipped. Setting: "paper" (a setting beyond the paper would be named "ours: ...").

Steps for a new claim: (1) copy this file to grokcheck/claims/<paper>/<claim>.py and edit CLAIM,
Config, SCALES, run, figures and this docstring; (2) add "<claim-id>": "<module path>" to
grokcheck/registry.py; (3) add verify/test_<claim>.py binding `standard_tests` (grokcheck.checks).
tests/test_contract.py then checks the contract (grokcheck.contract) for you.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from grokcheck import rules
from grokcheck.core import Claim, Result
from grokcheck.theory.stats import median_interval

CLAIM = Claim("template", "Template claim", "A Gram matrix has a positive trace.", "linear algebra (template)")


@dataclass(frozen=True)
class Config:
    runs: int = 6          # independent draws (6: [min, max] covers the median with probability 97%)
    size: int = 8          # matrix side
    seed: int = 0          # run seed: every draw comes from ctx.rng(name, index)


SCALES = {"ci": Config(), "default": Config(runs=9), "paper": Config(runs=15)}


def run(config: Config, ctx) -> Result:
    traces = []
    for i in range(config.runs):
        a = torch.randn(config.size, config.size, generator=ctx.rng("draw", i), dtype=torch.float64)
        traces.append(float((a @ a.T).trace()))
    ctx.note_device(a)
    obs = [rules.interval_rule("median trace of the Gram matrix", median_interval(traces), 0.0, ">",
                               "a Gram matrix is positive semi-definite"),
           rules.control_rule("control: the rule on the traces with their sign flipped",
                              median_interval([-t for t in traces]), 0.0, ">", "a negative trace must be rejected")]
    return ctx.result(CLAIM, config, obs, {"traces": traces})


def figures(result) -> list:
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(result.series["traces"], "o")
    ax.set_xlabel("draw")
    ax.set_ylabel("trace")
    return [fig]
