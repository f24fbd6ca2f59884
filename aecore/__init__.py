"""Latent Lab's engine: datasets, autoencoder variants, training, checkpoints, projections.

Pure PyTorch/numpy: no UI import, no state beyond the variant and dataset registries.
"""
