# syntax=docker/dockerfile:1

# 1. Front-end assets: the DSFR files Boussole serves.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json .dsfr.yml ./
COPY scripts/build-assets.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund
COPY static static
RUN npm run build

# 2. The binary, built without a database thanks to the committed .sqlx/ query data.
FROM rust:1.95-bookworm AS build
WORKDIR /app
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock clippy.toml askama.toml ./
COPY .sqlx .sqlx
COPY migrations migrations
COPY templates templates
COPY src src
RUN cargo build --release --locked --bin boussole

# 3. A slim runtime, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app boussole
WORKDIR /app
COPY --from=build /app/target/release/boussole /usr/local/bin/boussole
COPY --from=assets /app/static /app/static
USER boussole
ENV BOUSSOLE_LISTEN=0.0.0.0:8080 \
    BOUSSOLE_STATIC_DIR=/app/static \
    BOUSSOLE_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["boussole"]
CMD ["serve"]
