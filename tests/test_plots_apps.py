"""The application pages' line charts keep their legends clear of the x-axis title: presenter view enlarges both
(face.lecture.PRESENTER_CSS), and a legend placed below the plot ran into the title (seen on Features at 1920x1080)."""
import pytest

from aecore.plots import apps

ACCURACY = [{"features": f, "classifier": "k-NN", "labels": n, "accuracy": a}
            for f in ("autoencoder code (32-d)", "PCA (32-d)") for n, a in ((100, 0.7), (1000, 0.9))]
SWEEP = [{"method": m, "size": s, "mse": e} for m in ("autoencoder", "PCA") for s, e in ((2, 0.05), (8, 0.03))]
PSNR = [{"method": m, "level": s, "psnr": p}
        for m in ("noisy input", "denoising AE") for s, p in ((0.1, 20), (0.5, 15))]
RATE = [{"method": m, "format": f, "bytes": b, "psnr": p}
        for m in ("autoencoder (8-d code)", "JPEG") for f, b, p in (("float32", 32, 16.0), ("quality 50", 160, 29.0))]


@pytest.mark.parametrize("figure", [
    lambda: apps.accuracy(ACCURACY, "k-NN"),
    lambda: apps.sweep(SWEEP),
    lambda: apps.psnr_curve(PSNR, "gaussian"),
    lambda: apps.rate_distortion(RATE),
], ids=["accuracy", "sweep", "psnr", "rate"])
def test_the_legend_sits_above_the_plot_away_from_the_x_title(figure):
    fig = figure()
    assert fig.layout.xaxis.title.text, "a chart with an x-axis title"
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yanchor == "bottom" and legend.y >= 1.0
