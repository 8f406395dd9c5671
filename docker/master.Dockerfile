# mooseng-master: one member of a group of metadata servers.
# Build from the repository root: docker build -f docker/master.Dockerfile .
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
COPY --from=build /src/target/release/mooseng-master /usr/local/bin/
VOLUME /var/lib/mooseng/master
# 9420, 9421: MooseFS's chunkserver and client ports; 9423: Raft
# between masters; 9426: /health and /metrics.
EXPOSE 9420 9421 9423 9426
ENV MOOSENG_MASTER_METRICS=0.0.0.0:9426
HEALTHCHECK --interval=2s --timeout=2s --retries=30 \
    CMD curl -fsS http://127.0.0.1:9426/health
ENTRYPOINT ["mooseng-master", "--data-dir", "/var/lib/mooseng/master"]
