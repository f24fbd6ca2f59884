"""ROC maths for anomaly scores (higher = more anomalous): the curve, its area, and one threshold's counts.

Written out rather than taken from scikit-learn so ties and the flagging rule (score >= threshold) are explicit;
tests/test_apps_anomaly.py checks them against scikit-learn.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def roc_curve(scores: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, threshold) as the threshold falls through every distinct score.

    A sample is flagged when score >= threshold; tied scores enter together, so ties give a diagonal segment.
    """
    scores, anomalous = np.asarray(scores, float), np.asarray(anomalous, bool)
    n_pos, n_neg = int(anomalous.sum()), int((~anomalous).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC needs both normal and anomalous samples in the test split")
    order = np.argsort(-scores, kind="mergesort")
    s, a = scores[order], anomalous[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(a)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    return (np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos], np.r_[np.inf, s[last_of_tie]])


def roc_auc(scores: np.ndarray, anomalous: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random anomaly scores above a random normal sample."""
    fpr, tpr, _ = roc_curve(scores, anomalous)
    return float(np.trapezoid(tpr, fpr))


@dataclass(frozen=True)
class AtThreshold:
    threshold: float
    flagged: int               # samples with score >= threshold
    precision: float           # of the flagged, the fraction that are anomalies (nan when none is flagged)
    recall: float              # of the anomalies, the fraction flagged
    false_positive_rate: float  # of the normal samples, the fraction flagged


def at_threshold(scores: np.ndarray, anomalous: np.ndarray, threshold: float) -> AtThreshold:
    """Precision, recall and false-positive rate when every score >= threshold is called an anomaly."""
    flagged = np.asarray(scores) >= threshold
    anomalous = np.asarray(anomalous, bool)
    tp = int((flagged & anomalous).sum())
    n_flagged = int(flagged.sum())
    return AtThreshold(float(threshold), n_flagged, tp / n_flagged if n_flagged else float("nan"),
                       tp / max(int(anomalous.sum()), 1),
                       int((flagged & ~anomalous).sum()) / max(int((~anomalous).sum()), 1))


def most_anomalous(scores: np.ndarray, n: int = 16) -> np.ndarray:
    """Indices of the n highest scores, highest first."""
    return np.argsort(-np.asarray(scores), kind="mergesort")[:n]


def auc_table(scores: dict[str, np.ndarray], anomalous: np.ndarray) -> dict[str, float]:
    """ROC-AUC of each method."""
    return {name: roc_auc(s, anomalous) for name, s in scores.items()}
