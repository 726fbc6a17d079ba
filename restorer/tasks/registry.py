"""The explicit list of tasks. Front ends build their panels and subcommands from it."""

from __future__ import annotations

from restorer.tasks import denoise, inpaint, jpeg, mar, super_resolve, user_model
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
# The tasks that can run a user's own model instead of the bundled one (`--model FILE`, the
# panel's model box), and the task that then runs.
WITH_USER_MODELS: dict[str, TaskSpec] = {
    denoise.TASK.name: user_model.RESTORE,
    jpeg.TASK.name: user_model.RESTORE,
    super_resolve.TASK.name: user_model.SUPER_RESOLVE,
    inpaint.TASK.name: user_model.INPAINT,
}


def get_task(name: str) -> TaskSpec:
    """Any task by its name: the panel's, the detection command, or a user-model task."""
    for task in (*COMMANDS, *WITH_USER_MODELS.values()):
        if task.name == name:
            return task
    raise KeyError(f"unknown task {name!r}")
