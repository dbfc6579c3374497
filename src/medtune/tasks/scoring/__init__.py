"""Per-example scorers that tasks call: free-text answer matching (``open_answers``) and summary
scores (``summaries``: key-fact coverage, ROUGE-L). They sit with the tasks, below evaluate/,
because a task's ``score`` uses them and evaluate/ runs the tasks."""
