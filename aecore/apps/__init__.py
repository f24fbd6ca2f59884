"""Autoencoders put to work: denoising, anomaly detection, compression, features, imputation.

Each module is pure (torch, numpy, scikit-learn; never streamlit) and returns numbers or plain rows that a
page draws, a test checks, and `aecore.cli.apps` prints from the shell. Baselines live in `baselines`.
"""
