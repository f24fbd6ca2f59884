"""aecore.runs.export: every download parses back into what it claims to hold."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from PIL import Image

from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.runs import export
from aecore.train import fit, new_run


@pytest.fixture
def trained_run(tiny_images, tiny_sequences):
    """A factory of runs trained for an epoch or two on helpers' tiny data (well under a second each)."""
    def make(variant: str, latent_dim: int = 2, epochs: int = 1):
        data = tiny_sequences if variant == "lstm" else tiny_images
        run = new_run(data, variant_config(variant, latent_dim=latent_dim),
                      TrainConfig(epochs=epochs, batch_size=32, lr=3e-3), variant)
        for _ in fit(run, data):
            pass
        return run, data
    return make


def rows(blob: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(blob.decode())))


def test_latent_csv_with_labels():
    codes = torch.tensor([[0.5, -1.25], [3.0, 1e-7], [2.0, 0.0]])
    table = rows(export.latent_csv(codes, torch.tensor([0, 2, 1]), ("zero", "one", "two")))
    assert list(table[0]) == ["index", "label", "label_name", "z1", "z2"]
    assert [r["label_name"] for r in table] == ["zero", "two", "one"]
    assert float(table[0]["z2"]) == -1.25 and float(table[1]["z2"]) == pytest.approx(1e-7)


def test_latent_csv_without_labels():
    table = rows(export.latent_csv(torch.zeros(4, 3)))
    assert list(table[0]) == ["index", "z1", "z2", "z3"] and len(table) == 4


def test_latent_csv_checks_its_input():
    with pytest.raises(ValueError, match="labels"):
        export.latent_csv(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(ValueError, match=r"\(N, k\)"):
        export.latent_csv(torch.zeros(3))


def test_model_codes_csv(trained_run):
    run, data = trained_run("vae", latent_dim=2, epochs=1)
    table = rows(export.model_codes_csv(run.model, data.x_test, data.y_test, data.label_names))
    assert len(table) == len(data.x_test)
    assert {r["label_name"] for r in table} <= set(data.label_names)
    assert [int(r["label"]) for r in table] == data.y_test.tolist()


def test_history_csv_has_a_row_per_step_and_test_at_epoch_ends(trained_run):
    run, _ = trained_run("vae", latent_dim=2, epochs=2)
    table = rows(export.history_csv(run.history))
    assert len(table) == len(run.history)
    assert {"step", "epoch", "phase", "train_loss", "train_recon", "train_kl", "test_loss"} <= set(table[0])
    ends = [r for r in table if r["test_loss"]]
    assert len(ends) == 2
    assert float(ends[-1]["test_loss"]) == pytest.approx(run.test_loss, rel=1e-5)
    assert float(table[0]["train_loss"]) == pytest.approx(run.history[0].losses["loss"], rel=1e-5)


def test_history_csv_of_nothing_is_a_header():
    assert export.history_csv([]).decode().strip() == "step,epoch,phase"


def test_grid_png_opens_at_the_right_size():
    img = Image.open(io.BytesIO(export.grid_png(torch.rand(6, 1, 8, 8), ncols=3, scale=2)))
    assert img.format == "PNG" and img.size == ((3 * 9 - 1) * 2, (2 * 9 - 1) * 2)


def test_grid_png_refuses_sequences():
    with pytest.raises(ValueError, match="sequences"):
        export.grid_png(torch.rand(4, 24, 1))


def test_comparison_png_pairs_rows(tiny_images):
    x = tiny_images.x_test[:7]
    img = Image.open(io.BytesIO(export.comparison_png(x, 1 - x, ncols=5, scale=1)))
    assert img.size == (5 * 9 - 1, 4 * 9 - 1)   # 7 samples -> 2 pairs of rows of 5
    px = torch.from_numpy(np.asarray(img, dtype=np.float32)) / 255
    assert torch.allclose(px[:8, :8], x[0, 0], atol=1 / 255 + 1e-6)          # original top left
    assert torch.allclose(px[9:17, :8], 1 - x[0, 0], atol=1 / 255 + 1e-6)    # its reconstruction below it


def test_model_comparison_png(trained_run):
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    img = Image.open(io.BytesIO(export.model_comparison_png(run.model, data.x_test[:10], ncols=10)))
    assert img.format == "PNG"


def test_chart_config_names_the_png():
    cfg = export.chart_config("latent-space")
    assert cfg["toImageButtonOptions"]["filename"] == "latent-space"
    assert cfg["toImageButtonOptions"]["format"] == "png"


@pytest.mark.parametrize("variant, labels", [("vae", ["Loss history (CSV)", "Latent codes of the test set (CSV)",
                                                    "Reconstructions (PNG)", "Samples from the prior (PNG)"]),
                                           ("vanilla", ["Loss history (CSV)", "Latent codes of the test set (CSV)",
                                                        "Reconstructions (PNG)"])])
def test_run_downloads(variant, labels, trained_run):
    run, data = trained_run(variant, latent_dim=2, epochs=1)
    downloads = export.run_downloads(run, data)
    assert [d.label for d in downloads] == labels
    for d in downloads:
        assert d.file_name.startswith(f"{variant}-bars-z2-")
        if d.mime == "image/png":
            assert Image.open(io.BytesIO(d.data)).format == "PNG"
        else:
            assert rows(d.data)


def test_run_downloads_without_data_is_the_history_only(trained_run):
    run, _ = trained_run("vae", latent_dim=2, epochs=1)
    assert [d.label for d in export.run_downloads(run, None)] == ["Loss history (CSV)", "Samples from the prior (PNG)"]


def test_sequences_get_no_image_grids(trained_run):
    run, data = trained_run("lstm", latent_dim=2, epochs=1)
    assert [d.mime for d in export.run_downloads(run, data)] == ["text/csv", "text/csv"]


def test_conditional_samples_have_a_row_per_class(trained_run):
    run, data = trained_run("cvae", latent_dim=2, epochs=1)
    img = Image.open(io.BytesIO(export.samples_png(run.model, 9, scale=1)))
    assert img.size == (3 * 9 - 1, 3 * 9 - 1)   # 3 classes x 3 samples


def test_slug():
    assert export.slug("My Data (v2).csv") == "my-data-v2-csv"
    assert export.slug("../../") == "latent-lab"
