"""The Workspace: everything one browser session owns (its model, its training job, its application groups, its
upload), and the answers every page needs about them.

It is the only object pages take out of session state besides widget values (see `face.session`), the
way TF Playground's state.ts is the only place its UI reads from. It holds no Streamlit code, so it is tested like
any other object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aecore import jobs
from aecore.data import Dataset
from aecore.fingerprint import current, fingerprint
from aecore.models import Autoencoder
from aecore.runs.resume import prepare_resume
from aecore.train import Run, new_run, new_run_id
from aecore.views.explore import snapshot
from aecore.views.filter_frames import FilterFrames

from .parts import GeneratePanel, InsidePanel, LatentPanel, Lecture, Messages, Once, Persistence, TrainView

if TYPE_CHECKING:
    from .atlas.wire import Channel

STOP_WAIT_S = 2.0         # within one step: the buttons then show the stopped state at once
FIRST_STEP_WAIT_S = 0.5   # a step takes milliseconds; the first one also builds the preview


DEMO_PREFIX = "demo-"       # run ids of the bundled demos (aecore.lecture.presets.bundled_demos)


def is_demo(run: Run) -> bool:
    return run.id.startswith(DEMO_PREFIX)


@dataclass
class Upload:
    """The user's own data file: parsed once per upload (file_id), or the reason it was refused."""

    data: Dataset | None = None
    error: str | None = None
    file_id: str | None = None
    name: str | None = None          # the file's own name
    kept: bool = False               # brought back from the store (face.reattach): no file in the uploader


@dataclass(frozen=True)
class ViewModel:
    """The model the explore pages draw: the run's own, or a copy taken between two steps while it trains."""

    model: Autoencoder
    step: int
    training: bool
    fingerprint: str   # of its weights, configuration and data (aecore.fingerprint): the key of every shared cache


@dataclass
class Workspace:
    """One session's model, job, application groups and upload, and every part of the session that is not a
    widget's value (face.parts; the widgets' keys: face.session.WIDGETS)."""

    run: Run | None = None
    job: jobs.Job | None = None
    groups: dict[str, jobs.Group] = field(default_factory=dict)   # an application page's models, by page key
    upload: Upload = field(default_factory=Upload)
    following: str | None = None      # the share id of the lecturer's model shown read-only (face.follow), if any
    owner: str | None = None          # the student (workspace token): jobs count against their limit
    interrupted: str | None = None    # why the run stopped without a Stop (its server went away), until Resume
    _snapshot: tuple[str, ViewModel] | None = None   # (run id, a copy of its model) while training
    once: Once = field(default_factory=Once)
    train_view: TrainView = field(default_factory=TrainView)
    latent: LatentPanel = field(default_factory=LatentPanel)
    generate: GeneratePanel = field(default_factory=GeneratePanel)
    inside: InsidePanel = field(default_factory=InsidePanel)
    persistence: Persistence = field(default_factory=Persistence)
    messages: Messages = field(default_factory=Messages)
    lecture: Lecture = field(default_factory=Lecture)
    components: dict[str, Channel] = field(default_factory=dict)   # each browser component's channel, by its key
    sidebar_held: bool = False   # this run's page drew its main content first: the sidebar's widgets come next run
    _filter_frames: tuple[str, FilterFrames] | None = None   # (run id, first-layer weights the Inside view followed)

    @property
    def training(self) -> bool:
        """Whether this session's current model is being trained (queued or running) right now."""
        return self.job is not None and self.job.run is self.run and self.job.active

    def view_model(self) -> ViewModel:
        """The model the views use. While a job trains the run: a copy taken between two steps and kept until
        `refresh_snapshot` (a slow view such as UMAP is not redone on every rerun). Its fingerprint is hashed once
        per copy, and once per state of a run that is not training."""
        run = self.run
        if not self.training:
            self._snapshot = None
            return ViewModel(run.model.eval(), run.step, False, current(run))
        if self._snapshot is None or self._snapshot[0] != run.id:
            model, step = snapshot(run, self.job.lock)
            self._snapshot = (run.id, ViewModel(model, step, True, fingerprint(run, model)))
        return self._snapshot[1]

    def refresh_snapshot(self) -> None:
        self._snapshot = None

    def filter_frames(self) -> FilterFrames:
        """The current run's first-layer weights at each snapshot the Inside view followed while it trained."""
        if self._filter_frames is None or self._filter_frames[0] != self.run.id:
            self._filter_frames = (self.run.id, FilterFrames())
        return self._filter_frames[1]

    def train(self, data: Dataset, settings, fresh: bool = True) -> jobs.Job:
        """Start a background job: a new run from `settings` (fresh) or the current run continued.
        Raises ValueError for settings that cannot build this model on this data, while following, and past the
        class's limits on jobs per student or epochs per model (jobs.JobLimitError)."""
        if self.following:
            raise ValueError("This is the lecturer's model, and it is read-only: fork it to train your own copy.")
        if fresh:
            self.stop()
            run = new_run(data, settings.model, settings.train, settings.variant)
        else:
            run = self.run
            prepare_resume(run, settings.train)
        job = jobs.start(run, data, owner=self.owner)   # a refusal (the class's limits) keeps the current model
        self.run, self.job, self.interrupted = run, job, None
        self.job.wait_first_step(FIRST_STEP_WAIT_S)   # so this very rerun shows a loss point and reconstructions
        return self.job

    def stop(self) -> None:
        """Stop this session's training, if any (the model keeps what it has learnt)."""
        if self.job is not None and self.job.active:
            self.job.stop()
            self.job.wait(STOP_WAIT_S)

    def reset(self) -> None:
        """Forget the current model, its job and what the pages kept of it."""
        self.stop()
        self._replace(None)

    def adopt(self, run: Run) -> None:
        """Make a loaded (or demo) model the current one, stopping the job that trained the one it replaces."""
        if self.job is not None and self.job.active:
            self.job.stop()
        self._replace(run)

    def _replace(self, run: Run | None) -> None:
        """The one place a model is replaced: its job, snapshot and views go with it (widget values stay)."""
        self.run, self.job, self._snapshot, self.following, self.interrupted = run, None, None, None, None
        self.train_view.forget()
        self.latent = LatentPanel()
        self.generate = self.generate.cleared()

    def follow(self, run: Run, share_id: str) -> None:
        """Show a model a lecturer shared (this session's own copy of it), read-only until `fork`."""
        self.adopt(run)
        self.following = share_id

    def fork(self) -> None:
        """Make the followed model this session's own: a new run id, since its training from here on is its own."""
        if self.following and self.run is not None:
            self.run.id = new_run_id()
        self.following = None

    def start_group(self, key: str, specs: list[jobs.ModelSpec], params: dict,
                    describe: jobs.Describe | None = None) -> jobs.Group:
        """An application page's models, trained together in the background; replaces (and stops) the old ones.
        `describe` names some of them in words for the progress line (jobs.name_models by default)."""
        self.stop_group(key)
        self.groups[key] = group = jobs.Group.start(specs, params, describe=describe, owner=self.owner)
        return group

    def stop_group(self, key: str) -> None:
        old = self.groups.get(key)
        if old is not None:
            old.stop()

    def active_jobs(self) -> list[jobs.Job]:
        """Every job of this session still queued or running (the sidebar's status line polls them)."""
        group_jobs = [j for g in self.groups.values() for j in g.jobs.values()]
        return [j for j in ([self.job] if self.job else []) + group_jobs if j.active]
