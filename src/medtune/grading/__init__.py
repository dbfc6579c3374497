"""The physician grading app and its logic: graders with secret links (``access``), two
graders per item with the load kept even (``assignment``), blinded items and the grading of one
(``items``), final verdicts, agreement statistics and the ``outcomes`` the study's paired
statistics use (``results``). study.db is read and written through ``medtune.store`` only. The
web layer (``grading.app``) is imported only when serving."""

from medtune.stats.agreement import Agreement, agreement, cohen_kappa
from medtune.grading.access import (SESSION_SECONDS, Grader, add_grader, end_session, grader_by_session,
                                    grader_by_token, revoke, start_session)
from medtune.grading.items import (AlreadyGraded, AlreadyRuled, blinded, create_items, item_for, progress,
                                   queue, record_grade)
from medtune.grading.results import disagreements, export_csv, final_grades, outcomes, statistics

__all__ = ["SESSION_SECONDS", "Agreement", "AlreadyGraded", "AlreadyRuled", "Grader", "add_grader",
           "agreement", "blinded", "cohen_kappa", "create_items", "disagreements", "end_session",
           "export_csv", "final_grades", "grader_by_session", "grader_by_token", "item_for", "outcomes",
           "progress", "queue", "record_grade", "revoke", "start_session", "statistics"]
