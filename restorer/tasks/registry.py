"""The explicit list of tasks. Front ends build their panels and subcommands from it."""

from __future__ import annotations

from restorer.tasks import denoise, inpaint, jpeg, mar, super_resolve
from restorer.tasks.base import TaskSpec

TASKS: tuple[TaskSpec, ...] = (
    denoise.TASK,
    jpeg.TASK,
    inpaint.TASK,
    super_resolve.TASK,
    mar.TASK,
)
# The command line also writes the proposed defect mask on its own, so that it can be checked
# and edited before `restorer inpaint --mask` (the window has a button for it instead).
COMMANDS: tuple[TaskSpec, ...] = (*TASKS, inpaint.DETECT_TASK)


def get_task(name: str) -> TaskSpec:
    for task in TASKS:
        if task.name == name:
            return task
    raise KeyError(f"unknown task {name!r}")
