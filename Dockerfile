# The icehelper image the maintenance templates run (argo-templates' `icehelper` WorkflowTemplate:
# ghcr.io/data-tier/icehelper:<icehelper-cli version>, `command: [icehelper]`).
#
#   docker build -t ghcr.io/data-tier/icehelper:0.1.0 .
#   docker run --rm ghcr.io/data-tier/icehelper:0.1.0 --help
ARG RUST_VERSION=1.95
ARG DEBIAN=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN} AS builder
WORKDIR /src
COPY . .
# TLS is rustls and SQLite is bundled: the binary needs only libc and CA certificates.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p icehelper-cli \
 && install -m 0755 target/release/icehelper /usr/local/bin/icehelper

FROM debian:${DEBIAN}-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /home/icehelper --create-home icehelper
COPY --from=builder /usr/local/bin/icehelper /usr/local/bin/icehelper
USER 10001:10001
WORKDIR /home/icehelper
LABEL org.opencontainers.image.source="https://github.com/data-tier/data-tier" \
      org.opencontainers.image.description="icehelper: inspect and maintain Apache Iceberg tables" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["icehelper"]
CMD ["--help"]
