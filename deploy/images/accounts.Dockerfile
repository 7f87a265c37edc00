# syntax=docker/dockerfile:1
# The accounts service. Build from the repository root (the build context):
#   docker build -f deploy/images/accounts.Dockerfile -t marketplace-accounts:dev .
# `python -m accounts serve` is the command; the migrate Job runs `python -m accounts migrate`, then
# `python -m accounts verify-schema`, and the pods' wait-for-schema init container runs
# /opt/deploy/schema_gate.py.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# 1. Contracts: the Python code generated from protos/ is not committed, so it is built here.
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

# 2. The service and exactly its dependency set (contracts, servicekit, its pinned packages).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY --from=contracts /wheels/ /wheels/
COPY libs/servicekit/ /src/libs/servicekit/
RUN pip wheel --no-deps --wheel-dir /wheels /src/libs/servicekit
COPY services/accounts/ /src/services/accounts/
# The shared libraries are named as local wheels, so pip never looks their names up on an index.
RUN pip install /wheels/*.whl /src/services/accounts

# 3. Runtime: the virtual environment, the Alembic history, no compilers, no pip cache, non-root.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin app
# GRPC_HOST: servicekit listens on loopback by default, which nothing outside the container reaches.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALEMBIC_CONFIG=/app/alembic.ini \
    GRPC_HOST=0.0.0.0 \
    GRPC_PORT=50052
COPY --from=build /opt/venv/ /opt/venv/
# alembic.ini and migrations/ sit in WORKDIR, so a script_location relative to the working
# directory and one relative to %(here)s both resolve to /app/migrations.
WORKDIR /app
COPY services/accounts/alembic.ini ./alembic.ini
COPY services/accounts/migrations/ ./migrations/
COPY deploy/images/schema_gate.py /opt/deploy/schema_gate.py
USER 10001:10001
EXPOSE 50052
CMD ["python", "-m", "accounts", "serve"]
