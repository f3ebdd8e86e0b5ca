# One image for the whole suite; each Kubernetes Deployment picks its service with
# `command: ["python", "-m", "services.<name>"]` (scanner, camera, seal, dutylog, gateway).
#
#   docker build -t registry.example/customs/customs-suite:0.1.0 .
#   docker build --build-arg NUMBA_CPU_NAME=skylake-avx512 ...   # see "numba cache" below
#
# Stages: `build` installs the pinned runtime dependencies into a virtualenv (wheels only, no
# compiler in any stage); `runtime` copies that virtualenv and the code onto the same slim base,
# byte-compiles the code, warms the numba cache of the scanner and runs as an unprivileged user.
#
# Base image: pinned by tag only, to an exact Python patch release on Debian bookworm. A tag is not
# immutable (the official image is rebuilt under the same tag for Debian security updates) and no
# digest is pinned here: none could be resolved from the machine these files were written on,
# which reaches no registry. When releasing, resolve the tag once
# (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`) and build with
# --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest>, so every rebuild of that
# release starts from the same base (k8s/README.md, "Images").
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# SOURCE_DATE_EPOCH makes pip byte-compile with hash-based .pyc files (no install timestamps).
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    SOURCE_DATE_EPOCH=0
COPY requirements-runtime.txt k8s/image/constraints-runtime.txt /tmp/requirements/
# --only-binary: every dependency comes as a published wheel (manylinux), so the result does not
# depend on a compiler; the constraints pin the transitive dependencies too.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --only-binary=:all: \
      -r /tmp/requirements/requirements-runtime.txt \
      -c /tmp/requirements/constraints-runtime.txt \
 && /opt/venv/bin/python -m pip uninstall --yes pip setuptools

FROM ${PYTHON_IMAGE} AS runtime
ARG NUMBA_CPU_NAME=""
LABEL org.opencontainers.image.title="customs-suite" \
      org.opencontainers.image.description="Customs supervision suite: scanner, camera, seal, dutylog, gateway" \
      org.opencontainers.image.source="https://example.invalid/customs-suite"
# A fixed, unprivileged uid/gid (Kubernetes runAsUser/runAsGroup/fsGroup use the same numbers).
RUN groupadd --system --gid 10001 customs \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin customs
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY gen/python/ /app/gen/python/
COPY services/ /app/services/
ENV PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONPATH=/app:/app/gen/python \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/var/cache/numba \
    GRPC_LISTEN=0.0.0.0:50051 \
    GATEWAY_LISTEN=0.0.0.0:8080
# Byte-code is compiled now (hash-based, so no timestamps in the image) because the root
# filesystem is read-only at run time. Then the numba cache: the scanner's kernels are compiled
# into /opt/numba-cache as the service user; the pod's init container copies it into the writable
# emptyDir at NUMBA_CACHE_DIR. Numba keys cache entries by CPU: the cache is used as is when the
# nodes have the CPU of the build machine, or when the image is built with
# --build-arg NUMBA_CPU_NAME=<node cpu> and the same NUMBA_CPU_NAME is set in the scanner and seal
# ConfigMaps; otherwise the scanner compiles once at start (about 10 s, before it reports SERVING).
RUN python -m compileall -q --invalidation-mode unchecked-hash /app/services /app/gen/python \
 && mkdir -p /opt/numba-cache /var/cache/numba \
 && chown 10001:10001 /opt/numba-cache /var/cache/numba
USER 10001:10001
RUN env NUMBA_CACHE_DIR=/opt/numba-cache ${NUMBA_CPU_NAME:+NUMBA_CPU_NAME=$NUMBA_CPU_NAME} \
      python -c "from services.scanner.domain.pipeline import warm_up; warm_up()" \
 && test -n "$(find /opt/numba-cache -name '*.nbi' -print -quit)"
EXPOSE 50051 8080
# Python is PID 1: the services install their own SIGTERM handlers (graceful shutdown).
CMD ["python", "-m", "services.gateway"]
