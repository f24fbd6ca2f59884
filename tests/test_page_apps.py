"""AppTests of the application pages (denoising, anomaly, compression, features, imputation, sequences),
each on tiny seeded data, driven through app.py's navigation like a person would."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore.apps import Compression, Schedule, compress
from aecore.cli import apps as commands
from helpers import make_images, make_sequences, parse, run_cli, save_npz, trained_run
from face.session import seed, workspace_of
from face.workspace import Upload, Workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, data, run=None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed(at, Workspace(run=run, upload=Upload(data=data)))
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def group(at: AppTest, key: str):
    """The page's models training or trained: the Workspace's group under the page's key."""
    return workspace_of(at).groups[key]


def finish_training(at: AppTest, key: str) -> AppTest:
    """Wait for the page's background jobs, then rerun as the progress fragment would."""
    for job in group(at, key).jobs.values():
        assert job.wait(60), "training finished"
    return at.run()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.error, *at.warning])


@pytest.mark.slow
def test_denoise_trains_two_models_and_plots_every_method():
    at = open_page("denoise", make_images(), denoise_latent_dim=8, denoise_epochs=1)
    assert not at.exception
    assert "Train both autoencoders" in texts(at)
    submit = [b for b in at.button if b.label == "Train both autoencoders"][0]
    at = submit.click().run()
    assert not at.exception
    at = finish_training(at, "denoise")
    assert not at.exception
    curve = [c for c in charts(at) if c["layout"].get("yaxis", {}).get("title", {}).get("text", "").startswith("PSNR")]
    assert len(curve) == 1
    names = {t["name"] for t in curve[0]["data"]}
    assert names == {"noisy input", "median filter 3x3", "PCA-8", "denoising AE", "plain AE"}
    assert len(curve[0]["data"][0]["x"]) == 7
    assert "denoising AE reaches" in texts(at)
    assert [i.proto.imgs[0].caption.split(" ·")[0] for i in at.get("image")] == \
        ["clean", "noisy input", "denoising AE", "plain AE", "median filter 3x3", "PCA-8"]   # the comparison first


def submit(at: AppTest, label: str) -> AppTest:
    return [b for b in at.button if b.label == label][0].click().run()


@pytest.mark.slow
def test_anomaly_scores_every_test_sample_with_baselines_and_a_threshold():
    data = make_images()
    at = open_page("anomaly", data, anomaly_epochs=2, anomaly_latent_dim=4)
    assert not at.exception
    at = finish_training(submit(at, "Train on normal samples"), "anomaly")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["method"]) == {"autoencoder", "PCA-4", "Isolation Forest"}
    assert table["ROC-AUC"].between(0, 1).all()
    hist = [c for c in charts(at) if c["data"][0]["type"] == "histogram"][0]
    assert sum(len(t["x"]["bdata"]) if isinstance(t["x"], dict) else len(t["x"]) for t in hist["data"]) > 0
    roc = [c for c in charts(at) if any(t.get("name", "").startswith("chance") for t in c["data"])][0]
    assert any(t["name"].startswith("autoencoder (") for t in roc["data"])
    recall_before = [m for m in at.metric if m.label == "Recall"][0].value
    threshold = [s for s in at.slider if s.label == "Threshold"][0]
    threshold.set_value(threshold.min).run()
    assert [m for m in at.metric if m.label == "Recall"][0].value == "100.0%"
    assert [m for m in at.metric if m.label == "Flagged"][0].value.startswith(f"{len(data.x_test):,} of")
    assert recall_before != "" and not at.exception


@pytest.mark.slow
def test_anomaly_with_a_vae_offers_the_elbo_score():
    at = open_page("anomaly", make_images(), anomaly_epochs=1, anomaly_latent_dim=2, anomaly_variant="vae")
    at = finish_training(submit(at, "Train on normal samples"), "anomaly")
    assert not at.exception
    assert "VAE −ELBO" in set(at.dataframe[0].value["method"])
    assert at.radio(key="anomaly_score").options == ["autoencoder", "VAE −ELBO"]
    at.radio(key="anomaly_score").set_value("VAE −ELBO").run()
    assert not at.exception


@pytest.mark.slow
def test_anomaly_on_sequences_with_the_lstm():
    at = open_page("anomaly", make_sequences(), anomaly_epochs=1, anomaly_variant="lstm")
    assert "lstm" in at.selectbox(key="anomaly_variant").options
    at = finish_training(submit(at, "Train on normal samples"), "anomaly")
    assert not at.exception
    assert group(at, "anomaly").runs["autoencoder"].model_config.architecture == "lstm"
    assert "PCA-4" in set(at.dataframe[0].value["method"])


@pytest.mark.slow
def test_compression_sweeps_sizes_and_counts_bytes_exactly():
    data = make_images()
    run, _ = trained_run("vanilla", latent_dim=2, epochs=1)   # the current model joins the bytes chart
    at = open_page("compression", data, run=run, compress_sizes=[2, 4], compress_k=4, compress_epochs=1)
    assert not at.exception
    at = finish_training(submit(at, "Train the autoencoders"), "compression")
    assert not at.exception
    sweep = [c for c in charts(at) if c["layout"]["xaxis"]["title"]["text"].startswith("bottleneck")][0]
    assert {t["name"] for t in sweep["data"]} == {"autoencoder", "PCA"}
    assert list(sweep["data"][0]["x"]) == [2, 4]
    table = at.dataframe[0].value
    ae = table[table["method"] == "autoencoder (4-d code)"].set_index("format")["bytes/sample"].to_dict()
    assert ae == {"float32": 16, "float16": 8, "8-bit": 4}
    assert f"current model ({run.variant}, 2-d code)" in set(table["method"])
    assert (table["method"] == "JPEG").sum() == 7
    assert "closest JPEG" in texts(at)


@pytest.mark.slow
def test_compression_page_and_cli_use_one_object_and_give_identical_rows(tmp_path):
    data = make_images()
    at = open_page("compression", data, compress_sizes=[2, 4], compress_k=4, compress_epochs=1)
    at = finish_training(submit(at, "Train the autoencoders"), "compression")
    assert not at.exception
    argv = ["compress", "--dataset", save_npz(data, tmp_path / "bars.npz"), "--sizes", "2,4", "--latent-dim", "4",
            "--epochs", "1", "--json"]
    page_exp = group(at, "compression").params["exp"]
    assert page_exp == commands.compression(parse(argv)) == Compression((2, 4), 4, compress.QUALITIES, Schedule(1))
    result = run_cli(*argv)
    cli = json.loads(result.stdout)
    table = at.dataframe[0].value
    assert result.returncode == 0 and table.to_dict("records") == [
        {"method": r["method"], "format": r["format"], "bytes/sample": r["bytes"], "PSNR (dB)": r["psnr"]}
        for r in cli["rate_distortion"]]
    sweep = [c for c in charts(at) if c["layout"]["xaxis"]["title"]["text"].startswith("bottleneck")][0]
    assert [list(t["y"]) for t in sweep["data"]] == [[r["mse"] for r in cli["sweep"] if r["method"] == t["name"]]
                                                     for t in sweep["data"]]


@pytest.mark.slow
def test_features_with_the_current_model_needs_no_training():
    data = make_images()
    run, _ = trained_run("vanilla", latent_dim=4, epochs=2)
    at = open_page("features", data, run=run, features_budgets=["100", "all"])
    assert not at.exception
    assert at.radio(key="features_source").value == "current"
    at = submit(at, "Compare features")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3 * 2 and list(table.columns)[-2:] == ["100 labels", f"{len(data.x_train):,} labels"]
    assert table.iloc[:, 2:].stack().between(0, 1).all()
    raw = table[table["features"].str.startswith("raw")]
    assert raw.iloc[:, -1].min() > 0.9        # the bars are easy from their pixels
    assert len(charts(at)) == 2


@pytest.mark.slow
def test_features_trains_a_new_model_when_there_is_none():
    at = open_page("features", make_images(), features_k=4, features_epochs=1, features_budgets=["100"])
    assert not at.radio and "Codes from: a new autoencoder trained here" in [c.value for c in at.caption]
    at = finish_training(submit(at, "Compare features"), "features")
    assert not at.exception
    assert "autoencoder code (4-d)" in set(at.dataframe[0].value["features"])


def metric(at: AppTest, label: str) -> float:
    return float([m for m in at.metric if m.label == label][0].value.replace(",", ""))


@pytest.mark.slow
def test_imputation_beats_the_mean_and_reacts_to_the_mask():
    data = make_images()
    run, _ = trained_run("vanilla", latent_dim=4, epochs=8)
    at = open_page("imputation", data, run=run)
    assert not at.exception
    base = metric(at, "Mean fill: error on hidden values")
    ours = metric(at, "Autoencoder (3 iterations): error on hidden values")
    assert ours < base
    assert 0.2 < metric(at, "Hidden values") / (48 * 64) < 0.3   # the default: 25% of the values, scattered
    at.selectbox(key="impute_mask").set_value("block").run()
    hidden = metric(at, "Hidden values")
    assert hidden == 48 * 4 * 4        # a block: a 25% square, 4 x 4 of every 8 x 8 test image
    at.slider(key="impute_fraction").set_value(0.5).run()
    assert metric(at, "Hidden values") > hidden and not at.exception
    at.slider(key="impute_iterations").set_value(1).run()
    assert not at.exception and len(at.get("image")) == 4     # original, with holes, mean fill, autoencoder fill
    assert [m for m in at.metric if m.label == "Autoencoder (1 iteration): error on hidden values"]
    assert any("lowest error is after" in md.value or "does **not** beat" in md.value for md in at.markdown)


@pytest.mark.slow
def test_imputation_trains_its_own_model_without_a_current_one():
    at = open_page("imputation", make_images(), impute_k=4, impute_epochs=1)
    assert not at.radio and "Fill with: an autoencoder trained here" in [c.value for c in at.caption]
    at = finish_training(submit(at, "Train the autoencoder"), "imputation")
    assert not at.exception
    assert metric(at, "Hidden values") > 0


@pytest.mark.slow
def test_sequences_trains_an_lstm_and_shows_each_class():
    data = make_sequences()
    at = open_page("sequences", data, seq_epochs=1)
    assert not at.exception
    at = finish_training(submit(at, "Train the LSTM autoencoder"), "sequences")
    assert not at.exception
    assert group(at, "sequences").runs["LSTM autoencoder"].model_config.architecture == "lstm"
    table = at.dataframe[0].value
    assert list(table["class"]) == ["slow", "fast"] and table["test sequences"].sum() == len(data.x_test)
    lines = charts(at)[0]
    assert {t["name"] for t in lines["data"]} == {"input", "reconstruction"}
    assert metric(at, "Test reconstruction error (MSE per value)") > 0


def test_sequences_falls_back_to_a_builtin_when_the_data_are_images():
    at = open_page("sequences", make_images(), seq_epochs=1)
    assert not at.exception
    assert "ECG5000" in texts(at) or "sine waves" in texts(at)


PAGES = {"denoise": ("Denoising", "Train both autoencoders"), "anomaly": ("Anomaly detection", "Train on normal samples"),
         "compression": ("Compression", "Train the autoencoders"), "features": ("Features", "Compare features"),
         "imputation": ("Imputation", "Train the autoencoder"), "sequences": ("Sequences", "Train the LSTM autoencoder")}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_opens_with_its_intro_and_trains_nothing_until_asked(page):
    title, button = PAGES[page]
    at = open_page(page, make_sequences() if page == "sequences" else make_images())
    assert not at.exception
    assert at.title[0].value == title
    assert len(at.markdown[0].value.split(". ")) >= 2, "an introduction for a student"
    assert button in [b.label for b in at.button]
    assert workspace_of(at).groups == {}


def test_anomaly_explains_why_unlabelled_data_cannot_be_scored():
    data = make_images()
    unlabelled = data.__class__(**{**data.__dict__, "y_train": None, "y_test": None, "label_names": ()})
    at = open_page("anomaly", unlabelled)
    assert not at.exception and "has no labels" in at.warning[0].value
