# mooseng-mount: the FUSE client. The container needs /dev/fuse and
# CAP_SYS_ADMIN (docker run --device /dev/fuse --cap-add SYS_ADMIN).
# Build from the repository root: docker build -f docker/mount.Dockerfile .
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
COPY --from=build /src/target/release/mooseng-mount /usr/local/bin/
RUN mkdir -p /mnt/mooseng
# 9427: /health and /metrics.
EXPOSE 9427
HEALTHCHECK --interval=2s --timeout=2s --retries=30 \
    CMD curl -fsS http://127.0.0.1:9427/health
ENTRYPOINT ["mooseng-mount", "/mnt/mooseng", "-f", "--metrics", "0.0.0.0:9427"]
