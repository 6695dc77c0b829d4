# smg (PyPI `smg`, SGLang's model gateway) as a container image, installed from its wheel on PyPI, for
# the in-cluster placement on kind and existing clusters (docs/clusters.md). Build:
#   docker build -t sgl-conformance/smg:1.13.0 --build-arg SMG_VERSION=1.13.0 -f docker/smg.Dockerfile .
# `tox -e kind` builds it. Non-root (UID 10001, as manifests/gateway/deployment.yaml requires), HOME in
# /tmp (the template mounts an emptyDir there; the root filesystem is read-only).
FROM python:3.11-slim

ARG SMG_VERSION=1.13.0
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp

RUN pip install --only-binary=:all: "smg==${SMG_VERSION}" \
    && useradd --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gateway

USER 10001:10001
EXPOSE 30000
# The harness passes the launcher's flags (SmgDriver.container): --host $(POD_IP) --port 30000
# --prometheus-host $(POD_IP) --prometheus-port 29000 --log-level info --service-discovery ...
ENTRYPOINT ["python", "-m", "smg.launch_router"]
