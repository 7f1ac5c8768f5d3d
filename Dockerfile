# fleetvault: docker build -t fleetvault . && see README "Running in Docker".
# test/server/docker-start.sqlite.test.ts runs this file's ENV, CMD and HEALTHCHECK outside Docker.

# Build stage: the full node image has python3, make and g++, which better-sqlite3 needs to
# compile its native addon when no prebuilt binary can be downloaded. Dev dependencies stay here.
# Node 24 LTS, pinned to a release (both stages the same, so the addon's ABI matches); .ci/other-node-lines
# runs the SQLite suite on this exact version. Bump both lines and that script together.
FROM node:24.22.3-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY src ./src
COPY web ./web
RUN npm run build && npm prune --omit=dev

# Runtime stage: the pruned production node_modules (native addon already built, same Debian
# release and Node ABI), compiled code and migrations only.
FROM node:24.22.3-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 FLEETVAULT_DATA_DIR=/data
USER node
VOLUME /data
EXPOSE 8080
# No curl in slim images: Node's own fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
