"""Synthetic data for the built-in tasks: the generators and the clinical tables they draw on.

A task file (``tasks/<name>.py``) holds the task: prompt, answer format, parsing, scoring and
``generate``. Its generator and clinical facts live here in a module of the same name, every
fact with its source in a comment beside it. ``conditions/`` (the reasoning vignettes, one
module per body system) and ``discharge.py`` (the summarization admissions) are tables shared
by those generators; ``answers.py`` holds the accepted answers both tables are written in.
"""
