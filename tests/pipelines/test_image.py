"""The project image is built by the same install script as the README and CI, and carries
everything a kfp step imports."""

import os
import re

from pipelines import kubeflow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(name):
    with open(os.path.join(REPO, name)) as f:
        return f.read()


def test_dockerfile_runs_the_install_script_on_python_3_11():
    docker = _read("Dockerfile")
    assert re.search(r"^FROM python:3\.11-slim-bookworm", docker, re.M)   # Debian: apt package
    assert re.search(r"^COPY \. \.", docker, re.M)
    assert re.search(r"^RUN \./install\.sh", docker, re.M)
    assert os.access(os.path.join(REPO, "install.sh"), os.X_OK)
    install = _read("install.sh")
    assert "apt-get install -y -qq dataset-fashion-mnist" in install
    assert "pip install -q -r requirements.txt" in install and "-e ." in install
    assert re.search(r"^kfp==", _read("requirements.txt"), re.M)   # executor_main in the image


def test_dockerignore_keeps_what_kfp_steps_import():
    ignored = [l.strip() for l in _read(".dockerignore").splitlines() if l.strip()]
    for needed in ("components", "evoshift_tf", "pipelines", "setup.py", "requirements.txt",
                   "install.sh"):
        assert not any(needed == i.rstrip("/") for i in ignored), needed
    assert kubeflow.DEFAULT_IMAGE in _read("Dockerfile")
