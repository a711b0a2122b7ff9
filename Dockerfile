# The project image every Kubeflow step runs in (pipelines/kubeflow.py, --image).
# It runs the same install script as the README and CI (./install.sh: the Debian Fashion-MNIST
# package and the pinned Python requirements, then the project itself, editable).
#
#   docker build -t evoshift-tf:0.1.0 .
#   python -m pipelines.run --runner=kubeflow --image=evoshift-tf:0.1.0 --output=pipeline.yaml
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /opt/evoshift_tf
COPY . .
RUN ./install.sh \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -c "import components.train_victim, kfp, evoshift_tf.victims.training"

# kfp's Python components start with `python3 -m kfp.dsl.executor_main`; for a manual step:
#   docker run --rm evoshift-tf:0.1.0 python3 -m components.train_victim --helpfull
CMD ["python3", "-m", "pipelines.run", "--helpfull"]
