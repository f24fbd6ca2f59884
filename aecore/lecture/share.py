"""The sidebar's settings as plain data: what each may hold, how to check it, and how it travels in a URL.

A *settings dict* maps the sidebar's widget keys (dataset, variant, latent_dim, ...) to values. Presets
(`aecore.lecture.presets`) are checked strictly against it; query parameters from a shared link are parsed leniently:
a bad value is dropped, so the widget keeps its default and the page never crashes on a hand-edited link.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..config import DASHBOARD_EPOCHS, LOSSES, NOISES, ModelConfig, TrainConfig
from ..data import DATASETS
from ..models import MODELS, variant_config

BATCH_SIZES = (16, 32, 64, 128, 256, 512)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 10.0)   # 0.3 leaps and settles; 1 and 10 diverge
NOISE_CHOICES = ("default", *NOISES)   # "default": keep the variant's own corruption
CORE = ("dataset", "variant", "latent_dim")   # always written to a link; the rest only when not the default
SHOWN = CORE   # outside the sidebar's Advanced expander, so on screen in presenter view too
LESSON_PARAM = "lesson"                       # query parameter naming the applied preset, if any
FOLLOW_PARAM = "follow"                       # query parameter naming a model a lecturer shared (aecore.runs.store)
SHARE_ID = re.compile(r"[0-9a-f]{32}")        # share ids are uuid4 hex, like the store's tokens


@dataclass(frozen=True)
class Setting:
    """One sidebar value: its type, default, and either a list of choices or a closed range."""

    name: str
    type: type
    default: Any
    choices: Callable[[], tuple] | None = None   # a callable, so registries are read when checking, not at import
    low: float | None = None
    high: float | None = None

    def check(self, value: Any) -> Any:
        """The value in canonical form (the exact choice, the right type), or ValueError saying why not."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{self.name}: expected a {self.type.__name__}, got {value!r}")
        if self.type is str:
            value = str(value)
        else:
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"{self.name}: {value!r} is not a number") from None
            if not math.isfinite(number):
                raise ValueError(f"{self.name}: {value!r} is not a finite number")
            if self.type is int:
                if number != int(number):
                    raise ValueError(f"{self.name}: {value!r} is not a whole number")
                value = int(number)
            else:
                value = number
        if self.choices is not None:
            for choice in self.choices():
                if choice == value or (self.type is float and math.isclose(choice, value, rel_tol=1e-9)):
                    return choice   # the widget's own object, so a select_slider finds it by equality
            raise ValueError(f"{self.name}: {value!r} is not one of {', '.join(map(str, self.choices()))}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"{self.name}: {value!r} is outside {self.low:g}..{self.high:g}")
        return value

    def encode(self, value: Any) -> str:
        """Short text for a URL: 0.001 as '0.001', 2 as '2'."""
        return f"{value:g}" if self.type is float else str(value)


# Defaults come from the configs (one source for the sidebar, the CLI and the presets); the noise level and the
# sparsity weight are those of the variants that use them, so the sliders open where those variants start.
_MODEL, _TRAIN = ModelConfig(), TrainConfig()
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("dataset", str, "mnist", choices=lambda: tuple(sorted(DATASETS))),   # uploads cannot travel in a link
    Setting("variant", str, "vae", choices=lambda: tuple(sorted(MODELS))),
    Setting("latent_dim", int, _MODEL.latent_dim, low=1, high=256),
    Setting("epochs", int, DASHBOARD_EPOCHS, low=1, high=200),
    Setting("batch_size", int, _TRAIN.batch_size, choices=lambda: BATCH_SIZES),
    Setting("lr", float, _TRAIN.lr, choices=lambda: LEARNING_RATES),
    Setting("loss", str, _MODEL.loss, choices=lambda: LOSSES),
    Setting("beta", float, _MODEL.beta, low=0.0, high=10.0),
    Setting("noise", str, "default", choices=lambda: NOISE_CHOICES),
    Setting("noise_level", float, variant_config("denoising").noise_level, low=0.0, high=1.0),
    Setting("sparsity_weight", float, variant_config("sparse").sparsity_weight, low=0.0, high=10.0),
    Setting("seed", int, _TRAIN.seed, low=0, high=2**31 - 1),
)}


def defaults() -> dict[str, Any]:
    """Every setting at its default value (what a fresh sidebar shows)."""
    return {name: s.default for name, s in SETTINGS.items()}


def run_settings(run) -> dict[str, Any]:
    """The settings that describe a trained run (an aecore.train.Run): its data, variant, code size and training
    settings, where the sidebar can show them (an uploaded dataset or an off-list learning rate is left out)."""
    cfg, train = run.model_config, run.train_config
    raw = {"dataset": run.data_info.name, "variant": run.variant, "latent_dim": cfg.latent_dim, "epochs": train.epochs,
           "batch_size": train.batch_size, "lr": train.lr, "seed": train.seed}
    if cfg.variational:
        raw["beta"] = cfg.beta
    good, _ = check_settings(raw)
    return good


def check_settings(settings: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the valid settings in canonical form, one message per unknown key or bad value)."""
    good, errors = {}, []
    for name, value in settings.items():
        if name not in SETTINGS:
            errors.append(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
            continue
        try:
            good[name] = SETTINGS[name].check(value)
        except ValueError as err:
            errors.append(str(err))
    dataset, variant = good.get("dataset"), good.get("variant")
    if dataset is not None and variant is not None and not fits(variant, dataset):
        errors.append(f"variant {variant!r} cannot train on {dataset!r} ({DATASETS[dataset].kind} data)")
        del good["variant"]
    return good, errors


def fits(variant: str, dataset: str) -> bool:
    """Whether a variant can train on a built-in dataset's kind of data (no conv on sequences, no LSTM on images)."""
    return DATASETS[dataset].kind in MODELS[variant].kinds


def to_query(settings: Mapping[str, Any], lesson: str | None = None,
             base: Mapping[str, Any] | None = None, follow: str | None = None) -> dict[str, str]:
    """Query parameters for a link: the core settings always, the others only where they differ from `base`.

    `base` is what the link's reader starts from: the defaults, or the lesson's settings when `lesson` is named
    (so a setting changed back to its default after applying a lesson still travels). Settings that are
    missing or invalid (an uploaded dataset, say) are left out, so the link opens with the base value. `follow`
    is the share id of a lecturer's model this link opens.
    """
    base = defaults() if base is None else {**defaults(), **base}
    good, _ = check_settings({k: v for k, v in settings.items() if k in SETTINGS})
    params = {}
    for name, setting in SETTINGS.items():
        if name in good and (name in CORE or good[name] != base[name]):
            params[name] = setting.encode(good[name])
    if lesson:
        params[LESSON_PARAM] = lesson
    if follow:
        params[FOLLOW_PARAM] = follow
    return params


def from_query(params: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """The valid settings in query parameters; unknown keys and bad values are ignored (the widget keeps its default)."""
    last = {k: v[-1] if isinstance(v, (list, tuple)) else v for k, v in params.items() if v not in ([], ())}
    good, _ = check_settings({k: v for k, v in last.items() if k in SETTINGS})
    return good


def lesson_from_query(params: Mapping[str, str | list[str]]) -> str | None:
    """The preset a link names (not checked here: the caller knows which presets exist)."""
    return _last(params.get(LESSON_PARAM)) or None


def follow_from_query(params: Mapping[str, str | list[str]]) -> str | None:
    """The share id a follow-along link names, or None (none, or not a share id: nothing else names a folder)."""
    value = _last(params.get(FOLLOW_PARAM))
    return value if isinstance(value, str) and SHARE_ID.fullmatch(value) else None


def _last(value: str | list[str] | None) -> str | None:
    if isinstance(value, (list, tuple)):
        return value[-1] if value else None
    return value


def query_string(params: Mapping[str, str]) -> str:
    """'?dataset=mnist&variant=vae&latent_dim=2' (empty when there is nothing to share)."""
    return "?" + urlencode(params) if params else ""


def configs(settings: Mapping[str, Any], kind: str) -> tuple[str, ModelConfig, TrainConfig]:
    """(variant, ModelConfig, TrainConfig) that a settings dict describes, for data of `kind`.

    Missing settings take their defaults; a variant that cannot handle `kind` is replaced by the first that can.
    Raises ValueError (from the configs) for combinations no model accepts.
    """
    s = {**defaults(), **settings}
    variant = s["variant"]
    if variant not in MODELS or kind not in MODELS[variant].kinds:
        variant = next(v for v in sorted(MODELS) if kind in MODELS[v].kinds)
    base = variant_config(variant)
    overrides: dict[str, Any] = {"latent_dim": int(s["latent_dim"])}
    if s["loss"] != "auto":
        overrides["loss"] = s["loss"]
        if s["loss"] != "bce" and base.output == "auto":
            overrides["output"] = "auto"
    if base.variational:
        overrides["beta"] = float(s["beta"])
    if s["noise"] != "default":
        overrides["noise"] = s["noise"]
        overrides["noise_level"] = float(s["noise_level"]) if s["noise"] != "none" else 0.0
    if base.sparsity != "none":
        overrides["sparsity_weight"] = float(s["sparsity_weight"])
    model = variant_config(variant, **overrides)
    train = TrainConfig(epochs=int(s["epochs"]), batch_size=int(s["batch_size"]), lr=float(s["lr"]), seed=int(s["seed"]))
    return variant, model, train
