"""evoshift_tf: training-time few-pixel poisoning (EvoShift, IEEE Access 2021) in TensorFlow/Keras."""

__version__ = "0.1.0"
"""The one place the version is written (setup.py, artifact metadata and the image tag read it)."""
