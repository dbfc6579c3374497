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
    return math.ceil(n0 * ((_z(1 - threshold / 2) + _z(power)) * se_at_n0 / abs(delta)) ** 2)


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
