"""User-facing errors. Anything the user can fix (a bad file, a bad config key) raises
UserError; the CLI prints its message and exits 2 (DESIGN.md, Contracts). A message names
the file and line or the key, says what is wrong, and says what to do."""

from __future__ import annotations


# A message lists this many problems, then a count of the rest: 5,000 bad rows are better
# fixed from the first few, and the full list stays on ``problems``.
SHOWN_PROBLEMS = 20


class UserError(Exception):
    """Bad input or bad config: exit code 2."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __reduce__(self):  # travels between processes whole (train/distributed.py)
        return (type(self), (self.message, self.problems))

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        shown = [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        rest = len(self.problems) - SHOWN_PROBLEMS
        if rest > 0:
            shown.append(f"  ... and {rest} more (fix these and run again, or fix the pattern they share)")
        return self.message + "\n" + "\n".join(shown)
