# The reference gateway (fixtures/gateways/reference_gateway) as a container image, for the in-cluster
# placement on kind and existing clusters (docs/clusters.md). Build from the repository root:
#   docker build -t sgl-conformance/reference-gateway:0.1.0 -f docker/reference-gateway.Dockerfile .
# (the tag's version is pyproject.toml's; `tox -e kind` builds it). Only what the gateway imports is
# copied (reference/, the gateway drivers' package, fixtures/lifetime and waiting); a fixed non-root
# UID (10001, what manifests/gateway/deployment.yaml requires with runAsNonRoot); nothing is written
# at run time, so the template's readOnlyRootFilesystem holds.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp

# Pinned like requirements/tests.txt.
RUN pip install "kubernetes==37.0.2" "PyYAML==6.0.4" "requests==2.34.2" \
    && useradd --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gateway

WORKDIR /app
COPY reference/ reference/
COPY fixtures/__init__.py fixtures/waiting.py fixtures/
COPY fixtures/lifetime/ fixtures/lifetime/
# the pod watcher's core/v1 calls (fixtures/clusters/coreapi.py); the package's __init__ imports nothing else
COPY fixtures/clusters/__init__.py fixtures/clusters/coreapi.py fixtures/clusters/
COPY fixtures/gateways/ fixtures/gateways/

USER 10001:10001
EXPOSE 30000
# The harness passes `--config JSON --host $(POD_IP) --port 30000` (ReferenceDriver.container).
ENTRYPOINT ["python", "-m", "fixtures.gateways.reference_gateway"]
