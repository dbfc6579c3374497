"""Paired tests, intervals and multiple-comparison corrections (pure functions on arrays)."""

from medtune.stats.corrections import adjust_pvalues
from medtune.stats.intervals import bootstrap_interval, mean_interval, wilson_interval
from medtune.stats.paired import (
    McNemarResult,
    PairedResult,
    mcnemar_exact,
    paired_t,
    wilcoxon_signed_rank,
)

__all__ = [
    "McNemarResult",
    "PairedResult",
    "adjust_pvalues",
    "bootstrap_interval",
    "mcnemar_exact",
    "mean_interval",
    "paired_t",
    "wilcoxon_signed_rank",
    "wilson_interval",
]
