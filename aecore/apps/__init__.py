"""Autoencoders put to work: denoising, anomaly detection, compression, features, imputation, sequences.

Each application is one frozen dataclass that a page and its `python -m aecore` subcommand (aecore.cli.apps) both
use: its fields are the settings, `specs(data)` the models to train, `evaluate(models, data)` the scores (see
`experiment`). Modules are pure (torch, numpy, scikit-learn; never streamlit). Baselines live in `baselines`.
"""
from .anomaly import AnomalyDetection
from .compress import Compression
from .denoise import Denoising
from .experiment import Experiment, Schedule, run, train
from .features import FeatureComparison
from .impute import Imputation
from .sequences import SequenceReconstruction

__all__ = ["AnomalyDetection", "Compression", "Denoising", "Experiment", "FeatureComparison", "Imputation",
           "Schedule", "SequenceReconstruction", "run", "train"]
