"""The step budgets Mohamadi+24 states for its experiments (Sec. 5), written once for every claim.

A setting run below its budget declares the gap (grokcheck.core): a pending event there is
`inconclusive (budget)`, never refuted. The numbers are the ones the reference note on the paper
records (../shared/papers/mohamadi2024.md, "Experiments"):
- classification (normalized GD lr 10, l_inf 1e-20): "<= 100k steps", its only stated budget;
- regression (GD lr 1, l_inf 1e-4): "50k, 100k or 200k steps", the smallest of them.

Post hoc (stop 35): rich-generalization, sample-complexity and kernel-exit first read the
classification budget as 3e4 steps ("3e4-1e5"), a number the reference does not state; the suite's
fourier-features and linf-role already read 1e5. Under 3e4, sample-complexity's paper-scale run at
p = 23 (3e4 NGD steps) refuted the paper's network rule; under 1e5 the same run is below the budget
and its failing (pending) rule is inconclusive (budget). README and the claims' docstrings give both.
"""
PAPER_CLS_STEPS = 100_000  # classification: "<= 100k steps"
PAPER_REG_STEPS = 50_000   # regression: the smallest of "50k, 100k or 200k steps"
