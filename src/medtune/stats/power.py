"""Power, sample size and the minimum detectable effect (MDE) of the decisive tests.

- McNemar (paired 0/1 outcomes): from the discordant proportions p10 (only A right) and p01
  (only B right). Exact power at n: the number of discordant pairs D ~ Binomial(n, p10 + p01);
  given D = d, B's wins ~ Binomial(d, p01 / (p10 + p01)); power = P(exact McNemar p < alpha).
  The sample size starts from Connor's normal approximation (Biometrics 1987),
  n = (z_{1-a/2} sqrt(psi) + z_{power} sqrt(psi - delta^2))^2 / delta^2, psi = p10 + p01,
  delta = p01 - p10, and steps up until the exact power reaches the target (exact power is
  not monotone in n, so the first n that reaches it is reported with its power).
- A difference with a standard error that shrinks as 1/sqrt(n) (the F1 difference: its paired
  bootstrap SE; the permutation test is asymptotically the z-test of it): power at n is
  Phi(|delta| / se(n) - z_{1-a/2}) and the MDE is (z_{1-a/2} + z_{power}) se(n).
- The paired t-test: statsmodels' TTestPower (one-sample t on the differences).

``alpha`` here is the per-comparison threshold of the family (alpha / m).
"""

from __future__ import annotations

import math


def _z(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def mde_normal(se: float, threshold: float, power: float = 0.8) -> float:
    """Smallest true difference detected with `power` by a two-sided z-test at `threshold`."""
    return (_z(1 - threshold / 2) + _z(power)) * se


def power_normal(delta: float, se: float, threshold: float) -> float:
    """Two-sided z-test power for a true difference delta with standard error se (the far
    tail is ignored: < threshold / 2)."""
    if se <= 0:
        return 1.0 if delta else threshold
    from scipy.stats import norm

    return float(norm.cdf(abs(delta) / se - _z(1 - threshold / 2)))


def n_normal(delta: float, se_at_n0: float, n0: int, threshold: float, power: float = 0.8) -> int:
    """Examples for `power` when the SE measured at n0 scales as sqrt(n0 / n)."""
    if delta == 0:
        raise ValueError("a zero difference cannot be powered: assume a non-zero one")
    return math.ceil(n0 * ((_z(1 - threshold / 2) + _z(power)) * se_at_n0 / abs(delta)) ** 2 - 1e-9)


def mcnemar_power(n: int, p10: float, p01: float, alpha: float) -> float:
    """Exact power of the two-sided exact McNemar test at n pairs (see the module docstring)."""
    from scipy.stats import binom

    psi = p10 + p01
    if not (0 <= p10 and 0 <= p01 and psi <= 1):
        raise ValueError(f"need p10, p01 >= 0 and p10 + p01 <= 1, got {p10}, {p01}")
    if psi == 0 or n == 0:
        return 0.0
    import numpy as np

    share = p01 / psi
    d = np.arange(1, n + 1)
    # the exact test rejects when min(b, c) <= k, k the largest with 2 P(Binom(d, 1/2) <= k) < alpha
    k = binom.ppf(alpha / 2, d, 0.5) - 1
    reject = np.where(k >= 0, binom.cdf(k, d, share) + binom.sf(d - k - 1, d, share), 0.0)
    return float(np.sum(binom.pmf(d, n, psi) * reject))


def mcnemar_connor_n(p10: float, p01: float, alpha: float, power: float = 0.8) -> int:
    psi, delta = p10 + p01, p01 - p10
    if delta == 0:
        raise ValueError("equal discordant proportions: no difference to detect")
    za, zb = _z(1 - alpha / 2), _z(power)
    return math.ceil((za * math.sqrt(psi) + zb * math.sqrt(psi - delta ** 2)) ** 2 / delta ** 2)


def mcnemar_n(p10: float, p01: float, alpha: float, power: float = 0.8, limit: int = 100_000) -> tuple[int, float]:
    """(n, exact power at n): the first n from Connor's estimate up with exact power >= power."""
    n = max(1, mcnemar_connor_n(p10, p01, alpha, power) - 10)
    while n <= limit:
        got = mcnemar_power(n, p10, p01, alpha)
        if got >= power:
            return n, got
        n += 1
    raise ValueError(f"more than {limit} pairs needed")


def paired_t_mde(sd_diff: float, n: int, threshold: float, power: float = 0.8) -> float | None:
    """Smallest mean difference (score units) the two-sided paired t-test detects at n."""
    from statsmodels.stats.power import TTestPower

    if n < 2 or not sd_diff > 0:
        return None
    d = TTestPower().solve_power(effect_size=None, nobs=n, alpha=threshold, power=power,
                                 alternative="two-sided")
    return float(d) * sd_diff


def f1_difference_sd(prevalence: float, joint: tuple[float, float, float, float], n: int = 1000,
                     sims: int = 4000, seed: int = 0) -> tuple[float, float]:
    """(mean, sd) of F1(b) - F1(a) (positive-class F1) over `sims` simulated test sets of n
    examples of a binary endpoint, for the planning model: gold positive with probability
    `prevalence`; the pair's correctness pattern (both right, only a right, only b right, both
    wrong) drawn from `joint`, independently of the gold class. The sd scales as 1/sqrt(n)
    (``n_normal``, ``power_normal``)."""
    import numpy as np

    from medtune.stats.f1diff import f1_rows

    p = np.asarray(joint, dtype=float)
    if p.shape != (4,) or np.any(p < 0) or not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError(f"joint must be 4 proportions summing to 1, got {joint}")
    rng = np.random.default_rng(seed)
    gold = (rng.random((sims, n)) < prevalence).astype(np.int64)
    pattern = rng.choice(4, size=(sims, n), p=p)
    a_right = (pattern == 0) | (pattern == 1)
    b_right = (pattern == 0) | (pattern == 2)
    pred_a = np.where(a_right, gold, 1 - gold)
    pred_b = np.where(b_right, gold, 1 - gold)
    diff = f1_rows(gold, pred_b, [1]) - f1_rows(gold, pred_a, [1])
    return float(diff.mean()), float(diff.std(ddof=1))


def accuracy_from_f1(f1: float, prevalence: float) -> float:
    """Accuracy of a classifier with this positive-class F1 when its errors are balanced
    (as many false positives as false negatives, so precision = recall = F1):
    FN = FP = prevalence * (1 - F1) of the examples, accuracy = 1 - 2 prevalence (1 - F1)."""
    return min(1.0, max(0.0, 1.0 - 2.0 * prevalence * (1.0 - f1)))
