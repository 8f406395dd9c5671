# mooseng-chunkserver: chunk storage in MooseFS's format.
# Build from the repository root: docker build -f docker/chunkserver.Dockerfile .
# The build stage is the same, letter for letter, in all three Dockerfiles, so
# the builder's layer cache compiles the workspace once for all of them.
FROM mooseng/debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        rustc-web cargo-web gcc libc6-dev protobuf-compiler
WORKDIR /src
COPY . .
RUN CARGO_PROFILE_RELEASE_DEBUG=false cargo build --release --locked \
        --bin mooseng-master --bin mooseng-chunkserver --bin mooseng-mount

FROM mooseng/debian:bookworm
COPY --from=build /src/target/release/mooseng-chunkserver /usr/local/bin/
RUN mkdir -p /var/lib/mooseng/chunks
VOLUME /var/lib/mooseng/chunks
# 9422: MooseFS's chunkserver port; 9425: /health and /metrics.
EXPOSE 9422 9425
ENV MOOSENG_CHUNKSERVER_DATA=/var/lib/mooseng/chunks \
    MOOSENG_CHUNKSERVER_METRICS=0.0.0.0:9425
HEALTHCHECK --interval=2s --timeout=2s --retries=30 \
    CMD curl -fsS http://127.0.0.1:9425/health
ENTRYPOINT ["mooseng-chunkserver"]
