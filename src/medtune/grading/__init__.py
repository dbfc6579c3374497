"""The physician grading app and its data: graders with secret links, blinded items, two
graders per item plus adjudication, agreement statistics, and ``outcomes`` for the study's
paired statistics. The web layer (``grading.app``) is imported only when serving."""

from medtune.stats.agreement import Agreement, agreement, cohen_kappa
from medtune.grading.db import add_grader, create_items, export_csv, final_grades, outcomes, statistics

__all__ = ["Agreement", "add_grader", "agreement", "cohen_kappa", "create_items", "export_csv",
           "final_grades", "outcomes", "statistics"]
