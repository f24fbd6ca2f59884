"""Fair shares of the trainers between students: how many jobs one student may have queued or running at once, and
(in a class deployment) how many epochs one job may train. Both pools (pool.JobPool here, cluster.RayPool on Ray)
check them when a job is queued, so a student who presses Train twenty times, or asks for 10,000 epochs, cannot
hold up the class. A student is who the caller says (the app: the workspace token); jobs without one are not counted.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..train import Run

PER_STUDENT_ENV, EPOCHS_ENV = "AECORE_MAX_JOBS_PER_STUDENT", "AECORE_MAX_EPOCHS"


class JobLimitError(ValueError):
    """A job refused by a class limit; its message says which, and the variable that raises it."""


@dataclass(frozen=True)
class ClassLimits:
    # The most one student legitimately trains at once: the Train page's model, the Compression sweep's 7 and the
    # Denoising page's 2. A class sets it lower (AECORE_MAX_JOBS_PER_STUDENT) to share a busy cluster.
    jobs_per_student: int = 10
    max_epochs: int | None = None   # no cap by default (the sidebar offers up to 200); a class may set one

    def __post_init__(self):
        if self.jobs_per_student < 1 or (self.max_epochs is not None and self.max_epochs < 1):
            raise ValueError(f"{PER_STUDENT_ENV} and {EPOCHS_ENV} must be at least 1")

    @classmethod
    def from_env(cls) -> "ClassLimits":
        return cls(settings.whole(PER_STUDENT_ENV, cls.jobs_per_student), settings.whole(EPOCHS_ENV, None))

    def check_epochs(self, run: Run) -> None:
        if self.max_epochs is not None and run.total_epochs > self.max_epochs:
            raise JobLimitError(f"This model would train for {run.total_epochs} epochs; this server trains at most "
                                f"{self.max_epochs} per model ({EPOCHS_ENV}). Choose fewer epochs.")

    def check_student(self, active: int, adding: int = 1) -> None:
        """Refuse `adding` more jobs for a student who has `active` queued or running."""
        if active + adding > self.jobs_per_student:
            more = f"{adding} more models" if adding > 1 else "another model"
            raise JobLimitError(f"You have {active} model(s) training or waiting already, and one student may have "
                                f"at most {self.jobs_per_student} at once on this server ({PER_STUDENT_ENV}), so "
                                f"{more} cannot start: stop one, or wait for one to finish.")


def counted(jobs, owner: str | None) -> int:
    """How many of `jobs` (queued or running) belong to `owner`; jobs told to stop no longer count."""
    if owner is None:
        return 0
    return sum(1 for j in jobs if getattr(j, "owner", None) == owner and not j.stopping and j.active)
