# syntax=docker/dockerfile:1
# Build: every dependency, TypeScript compiled to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache lives in a BuildKit cache mount: reused across builds, never in a layer.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY migrations ./migrations
RUN npm run build

# Runtime: production dependencies and the compiled service only, as the unprivileged `node`
# user (UID/GID 1000) of the official image, with the database on the /data volume.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DUCKDB=/data/market.duckdb \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The chart page at / (plain HTML, CSS and one script, served as they are).
COPY src/web ./src/web
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Node's own fetch: no curl or wget in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Live ingestion of BTCUSDT and ETHUSDT from Binance into /data/market.duckdb, serving on 8080.
# Override with settings, e.g. `docker run IMAGE node dist/src/server.js --exchange simulator`.
CMD ["node", "dist/src/server.js"]
