"""Task registry: built-in tasks register through ``register_task`` like any plugin would."""

from __future__ import annotations

from medtune.tasks.base import Endpoint, Label, Task

_REGISTRY: dict[str, type[Task]] = {}
_BUILTINS = ("uti", "triage", "hyponatremia", "reasoning", "summarization")


def register_task(cls: type[Task]) -> type[Task]:
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtins() -> None:
    import importlib

    for mod in _BUILTINS:
        importlib.import_module(f"medtune.tasks.{mod}")


def task_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def get_task(name: str) -> Task:
    """The task called name; KeyError with the known names if there is none."""
    _load_builtins()
    if name not in _REGISTRY:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]()


__all__ = ["Endpoint", "Label", "Task", "get_task", "register_task", "task_names"]
