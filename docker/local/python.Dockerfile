# A Python 3.11 base on Debian bookworm, for building docker/Dockerfile where python:3.11-slim cannot be pulled
# (docker/check; an air-gapped build street, docs/operator.md).  DEBIAN_IMAGE: a Debian bookworm image, e.g.
# one made with `debootstrap --variant=minbase bookworm` and `docker import` (docker/check does that).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
