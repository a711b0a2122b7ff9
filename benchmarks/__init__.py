"""Benchmarks (``python -m benchmarks.<name>``): scripts that measure, print a table and write
JSON under ``benchmarks/results``; the package never imports them.

Where TensorFlow is installed it is imported here the way the ``evoshift`` command imports it,
its C++ start-up lines (oneDNN, CUDA probing) and INFO lines hidden, so that a benchmark's log
starts with its own lines (``TF_CPP_MIN_LOG_LEVEL=0`` in the environment shows TensorFlow's
native log lines after the import). ``torch_victim`` runs where TensorFlow is not installed."""

import importlib.util

if importlib.util.find_spec("tensorflow") is not None:
    from pipelines import cli

    cli.import_tensorflow()
