# syntax=docker/dockerfile:1
# The HTTP/JSON gateway. Build from the repository root (the build context):
#   docker build -f deploy/images/gateway.Dockerfile -t marketplace-gateway:dev .
# `python -m gateway serve` is the command. The gateway owns no database: no Alembic history,
# no migrate Job.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# 1. Contracts: the gateway builds its routes from the generated descriptors, built here.
FROM ${PYTHON_IMAGE} AS contracts
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/codegen.txt requirements/codegen.txt
RUN pip install -r requirements/codegen.txt
COPY libs/devstack/ libs/devstack/
COPY protos/ protos/
COPY libs/contracts/ libs/contracts/
# devstack locates the repository from its own source file, so it runs from /src/libs/devstack
# (PYTHONPATH), not from the copy pip put in site-packages.
RUN PYTHONPATH=/src/libs/devstack python -m devstack proto \
 && pip wheel --no-deps --wheel-dir /wheels ./libs/contracts

# 2. The gateway and exactly its dependency set.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY --from=contracts /wheels/ /wheels/
COPY libs/servicekit/ /src/libs/servicekit/
RUN pip wheel --no-deps --wheel-dir /wheels /src/libs/servicekit
COPY gateway/ /src/gateway/
# The contracts wheel is always installed; the servicekit wheel is only offered (--find-links)
# and lands in the image only if gateway/pyproject.toml depends on marketplace-servicekit.
RUN pip install --find-links /wheels /wheels/marketplace_contracts-*.whl /src/gateway

# 3. Runtime: the virtual environment only, non-root.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEWAY_PORT=8080
COPY --from=build /opt/venv/ /opt/venv/
WORKDIR /app
USER 10001:10001
EXPOSE 8080
CMD ["python", "-m", "gateway", "serve"]
