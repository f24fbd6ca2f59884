"""Every figure of Latent Lab: plain data in, a plotly go.Figure out; nothing is drawn here (no st.*).

Callers write `from aecore import plots; plots.loss_curve(...)`. The modules group the figures by page:
`training` (loss curve, series preview), `latent` (code scatter, KL bars), `samples` (non-image samples as
lines), `apps` (the application pages); `style` holds the colours and layout they share.
"""
from .apps import accuracy, impute_curve, psnr_curve, rate_distortion, roc, score_histogram, sweep
from .latent import kl_bar, latent_scatter
from .samples import line_groups, recon_lines, x_title
from .style import COLORS, PALETTE
from .training import MAX_POINTS, downsample, loss_curve, series_preview, smooth

__all__ = ["COLORS", "MAX_POINTS", "PALETTE", "accuracy", "downsample", "impute_curve", "kl_bar", "latent_scatter",
           "line_groups", "loss_curve", "psnr_curve", "rate_distortion", "recon_lines", "roc", "score_histogram",
           "series_preview", "smooth", "sweep", "x_title"]
