# pinwatch's images: the monitor (default target `pinwatch`) and the CT log simulator
# (target `ctsim`, for the compose stack's demo profile). Built on Debian bookworm, run on
# bookworm-slim with only the runtime libraries, as a non-root user.
#   docker build -t pinwatch .                 # or: docker-compose build
#   docker build --target ctsim -t pinwatch-ctsim .
# BASE_IMAGE and RUNTIME_IMAGE exist for machines without a registry
# (scripts/compose-test.sh builds a debootstrap'd bookworm and passes it as both);
# everywhere else the defaults are right.
ARG BASE_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libssl-dev libcurl4-openssl-dev zlib1g-dev rapidjson-dev libpqxx-dev prometheus-cpp-dev \
      libyaml-cpp-dev libidn2-dev libdeflate-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the two programs: no tests, no benchmarks (the suite runs outside the image).
ARG REVISION=unknown
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPINWATCH_TESTS=OFF -DPINWATCH_BENCH=OFF -DPINWATCH_REVISION="${REVISION}" >/dev/null \
 && cmake --build /build --target pinwatch ctsim \
 && strip /build/monitor/pinwatch /build/sim/ctsim

# What both images run on: bookworm-slim, the shared libraries the programs link, a user.
FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates curl libssl3 libcurl4 zlib1g libpqxx-6.4 libprometheus-cpp-core1.0 \
      libyaml-cpp0.7 libidn2-0 libdeflate0 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/pinwatch --create-home --shell /usr/sbin/nologin pinwatch

FROM runtime AS ctsim
COPY --from=build /build/sim/ctsim /usr/local/bin/ctsim
USER pinwatch
EXPOSE 8080
# ctsim stops on SIGTERM (sigwait), also as PID 1.
ENTRYPOINT ["/usr/local/bin/ctsim"]
CMD ["--host", "0.0.0.0", "--port", "8080", "--entries", "20000"]

# The default target: the monitor. The entrypoint writes PINWATCH_SIGNING_KEY (if set) to
# a file only this user can read, applies migrations, then becomes `pinwatch run`.
FROM runtime AS pinwatch
COPY --from=build /build/monitor/pinwatch /usr/local/bin/pinwatch
COPY deploy/pinwatch/entrypoint.sh /usr/local/bin/pinwatch-entrypoint
RUN mkdir -p /run/pinwatch /var/lib/pinwatch/published && chown pinwatch: /run/pinwatch /var/lib/pinwatch/published
USER pinwatch
ENV PINWATCH_CONFIG=/etc/pinwatch/pinwatch.yaml
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9464/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/pinwatch-entrypoint"]
CMD ["run"]
