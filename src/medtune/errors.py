"""User-facing errors. Anything the user can fix (a bad file, a bad config key) raises
UserError; the CLI prints its message and exits 2 (DESIGN.md, Contracts). A message names
the file and line or the key, says what is wrong, and says what to do."""

from __future__ import annotations


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
        return self.message + "\n" + "\n".join(f"  {p}" for p in self.problems)
