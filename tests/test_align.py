"""Procrustes: a known rotation, reflection and scale are recovered; frames line up."""
import numpy as np
import pytest

from aecore.views.align import align_frames, fit_procrustes


def rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


@pytest.fixture
def points():
    return np.random.default_rng(0).normal(size=(50, 2))


def test_recovers_rotation_scale_and_shift(points):
    target = 2.5 * points @ rotation(0.7) + [3.0, -1.0]
    fit = fit_procrustes(points, target)
    assert fit.scale == pytest.approx(2.5)
    np.testing.assert_allclose(fit.rotation, rotation(0.7), atol=1e-10)
    np.testing.assert_allclose(fit.apply(points), target, atol=1e-10)


def test_reflection_allowed_and_scale_optional(points):
    target = points * [-1.0, 1.0] * 3.0
    np.testing.assert_allclose(fit_procrustes(points, target).apply(points), target, atol=1e-10)
    assert fit_procrustes(points, target, scale=False).scale == 1.0


def test_align_frames_to_previous_and_last(points):
    frames = [points @ rotation(a) * s for a, s in ((0.0, 1.0), (1.0, 2.0), (2.0, 0.5))]
    for aligned in (align_frames(frames), align_frames(frames, to="last")[::-1]):
        np.testing.assert_allclose(aligned[1], aligned[0], atol=1e-9)
        np.testing.assert_allclose(aligned[2], aligned[0], atol=1e-9)
    assert align_frames([]) == []


def test_shapes_must_match(points):
    with pytest.raises(ValueError):
        fit_procrustes(points, points[:10])
