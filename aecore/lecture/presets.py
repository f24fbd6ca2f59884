"""Lesson presets: one teaching scenario per JSON file in assets/presets/, checked against the configs.

A preset file holds
    {"title": "...", "explanation": "2-3 sentences for students", "settings": {sidebar key: value, ...},
     "page": "pages/latent.py", "order": 10, "demo": "vae-mnist-2d" (optional),
     "claim": {"runs": ..., "checks": [...], "notes": "..."} (optional; see aecore.lecture.claims),
     "form": {field: value, ...} (optional, with an application claim: the page's form, as the fields of its
              aecore.apps object; the page's widgets are keyed "<app>_<field>")}
Its name is the file's stem, which is also what a link's `?lesson=` names. Loading is strict: an unknown
key, a bad value, a setting combination no model accepts, or a missing demo is a PresetError naming the file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..apps import AnomalyDetection, Denoising, Schedule
from ..data import DATASETS
from . import share
from .claims import Claim, ClaimError, parse_claim

REQUIRED = ("title", "explanation", "settings", "page")
OPTIONAL = ("order", "demo", "claim", "form")
PAGE_PATTERN = re.compile(r"^[a-z_]+/[a-z0-9_]+\.py$")   # a page file beside app.py: "pages/latent.py"
APP_TYPES = {"denoise": Denoising, "anomaly": AnomalyDetection}   # claims.APPS: the page's application object
FORM_FIELDS = {"denoise": ("noise", "level", "latent_dim", "epochs"),   # the form's widgets ("epochs": its Schedule's)
               "anomaly": ("variant", "latent_dim", "epochs")}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")   # it goes in URLs


class PresetError(ValueError):
    """A preset file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Preset:
    """A teaching scenario: sidebar settings to apply, the page to open, and what to tell the students."""

    name: str
    title: str
    explanation: str
    settings: dict[str, Any] = field(default_factory=dict)   # canonical values, as share.check_settings returns
    page: str = "pages/train.py"
    order: int = 0               # position in the picker; ties sort by name
    demo: str | None = None      # a bundled run folder (assets/demos/<demo>) to load as the current model
    claim: Claim | None = None   # what the lesson promises, as data `aecore.lecture.lessons.check_lesson` measures
    form: dict[str, Any] = field(default_factory=dict)   # the application page's form (fields of its object)

    def experiment(self, seed: int = 0):
        """The application object the lesson's page trains with its form set as the lesson says (None for a
        lesson without an application claim)."""
        if self.claim is None or self.claim.app is None:
            return None
        given = {k: v for k, v in self.form.items() if k != "epochs"}
        return APP_TYPES[self.claim.app](**given, schedule=Schedule(self.form.get("epochs"), seed=seed))


def parse_preset(name: str, data: Any, demos: set[str] | None = None) -> Preset:
    """Check one preset's JSON object and return it as a Preset (PresetError on any problem).

    `demos`, when given, is the set of bundled demo names a preset may refer to.
    """
    where = f"preset {name!r}"
    if not NAME_PATTERN.match(name):
        raise PresetError(f"{where}: the file name must be lowercase letters, digits and dashes (it goes in links)")
    if not isinstance(data, dict):
        raise PresetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    missing = [k for k in REQUIRED if k not in data]
    if unknown or missing:
        raise PresetError(f"{where}: " + "; ".join(filter(None, [unknown and f"unknown keys {', '.join(unknown)}",
                                                                missing and f"missing keys {', '.join(missing)}"])))
    for key in ("title", "explanation"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise PresetError(f"{where}: {key} must be non-empty text")
    if not isinstance(data["page"], str) or not PAGE_PATTERN.match(data["page"]):
        raise PresetError(f"{where}: page must be a page file like 'pages/latent.py', got {data['page']!r}")
    if not isinstance(data["settings"], dict):
        raise PresetError(f"{where}: settings must be an object of sidebar keys, got {type(data['settings']).__name__}")
    settings, errors = share.check_settings(data["settings"])
    if errors:
        raise PresetError(f"{where}: " + "; ".join(errors))
    kind = DATASETS[settings.get("dataset", share.SETTINGS["dataset"].default)].kind
    try:
        share.configs(settings, kind)   # the same conversion the sidebar makes, so every preset can train
    except ValueError as err:
        raise PresetError(f"{where}: these settings do not make a valid model: {err}") from None
    order = data.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int):
        raise PresetError(f"{where}: order must be a whole number, got {order!r}")
    demo = data.get("demo")
    if demo is not None and (not isinstance(demo, str) or (demos is not None and demo not in demos)):
        raise PresetError(f"{where}: demo {demo!r} is not a bundled demo ({', '.join(sorted(demos or ())) or 'none'})")
    claim = _claim(where, data.get("claim"), settings, kind)
    form = _form(where, data.get("form"), claim)
    return Preset(name, data["title"].strip(), " ".join(data["explanation"].split()), settings, data["page"], order, demo,
                  claim, form)


def _claim(where: str, data: Any, settings: dict[str, Any], kind: str) -> Claim | None:
    """The preset's claim, checked, with each run's settings making a valid model (None when it has none)."""
    if data is None:
        return None
    try:
        claim = parse_claim(data)
        if claim.app is not None and claim.app not in APP_TYPES:
            raise ClaimError(f"a lesson's claim app must be one of {', '.join(APP_TYPES)}, got {claim.app!r}")
        for overrides in claim.runs.values():
            share.configs({**settings, **overrides}, kind)
    except (ClaimError, ValueError) as err:
        raise PresetError(f"{where}: claim: {err}") from None
    hidden = [k for k in claim.changed if k not in share.SHOWN and k not in settings]
    if hidden:   # presenter view hides them: the lecturer could not make the comparison in front of the class
        raise PresetError(f"{where}: claim: its runs change {', '.join(hidden)}, which presenter view hides; "
                          f"compare with {', '.join(share.SHOWN)} or a setting the lesson sets (those stay in view)")
    return claim


def _form(where: str, data: Any, claim: Claim | None) -> dict[str, Any]:
    """The application form's fields, checked by building the application object from them ({} when none)."""
    if data is None:
        return {}
    if claim is None or claim.app is None:
        raise PresetError(f"{where}: form sets an application page's settings; it needs a claim naming the app")
    if not isinstance(data, dict):
        raise PresetError(f"{where}: form must be an object of field -> value, got {type(data).__name__}")
    allowed = FORM_FIELDS[claim.app]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise PresetError(f"{where}: form: unknown fields {', '.join(unknown)} (the {claim.app} page's form sets "
                          f"{', '.join(allowed)})")
    epochs = data.get("epochs")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise PresetError(f"{where}: form: epochs must be a whole number of at least 1, got {epochs!r}")
    try:
        APP_TYPES[claim.app](**{k: v for k, v in data.items() if k != "epochs"})
    except (TypeError, ValueError) as err:
        raise PresetError(f"{where}: form: {err}") from None
    return dict(data)


def load_presets(folder: str | Path, demos: set[str] | None = None) -> dict[str, Preset]:
    """Every `*.json` preset in a folder, by name, in picker order (PresetError on the first bad file)."""
    presets = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise PresetError(f"preset {path.stem!r}: {path.name} is not valid JSON ({err})") from None
        presets.append(parse_preset(path.stem, data, demos))
    return {p.name: p for p in sorted(presets, key=lambda p: (p.order, p.name))}


def apply_preset(preset: Preset) -> dict[str, Any]:
    """The full sidebar state a preset sets: its settings over the defaults, so nothing from before leaks in;
    and its application page's form widgets, so the page trains what the lesson describes."""
    app = preset.claim.app if preset.claim else None
    return {**share.defaults(), **preset.settings, **{f"{app}_{k}": v for k, v in preset.form.items()}}


def bundled_demos(folder: str | Path) -> set[str]:
    """Names of the demo run folders (each with a config.json) under `folder`, e.g. assets/demos."""
    folder = Path(folder)
    return {p.name for p in folder.iterdir() if (p / "config.json").is_file()} if folder.is_dir() else set()
