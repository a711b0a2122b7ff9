"""Studies (``python -m studies.<name>``): one paper experiment each, a markdown table and JSON
(``studies/_cli.py`` is their shared helper). TensorFlow is imported here the way the
``evoshift`` command imports it, its C++ start-up lines hidden (see ``benchmarks/__init__.py``)."""

from pipelines import cli

cli.import_tensorflow()
