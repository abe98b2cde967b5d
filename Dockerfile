# The AetherLink command center (the default target) and the customer-ops example (--target customer-ops).
#
#   docker build -t aetherlink/command-center .
#   docker run -p 8010:8010 -v aetherlink-data:/data aetherlink/command-center
#
# BASE_IMAGE is any Debian (glibc) image with Node 22.19+ and npm: the official one by default. Where no image
# registry is reachable, the README shows how to make one locally from Debian packages (local/debian-base).
# Few instructions on purpose: on a copying storage driver (vfs) each layer is a full copy of the image.
ARG BASE_IMAGE=node:22-bookworm-slim

# ---- build: install what the two servers need, build them to JavaScript (the container needs no .d.ts), and
# deploy each with its production dependencies only, beside an empty /data owned by the runtime user. The sources
# are bind-mounted, not copied (no layer of them), and pnpm's store and the package managers' caches are cache
# mounts, so a rebuild after a source change downloads nothing and the layer holds only what the stages copy.
FROM ${BASE_IMAGE} AS build
# A CA bundle to trust when npm and pnpm go through a TLS-inspecting proxy (optional).
ARG NODE_EXTRA_CA_CERTS
RUN --mount=type=bind,target=/src,rw \
    --mount=type=cache,target=/root/.local/share/pnpm/store \
    --mount=type=cache,target=/root/.cache \
    --mount=type=cache,target=/root/.npm \
    cd /src && export CI=true \
 && npm install -g --no-audit --no-fund --loglevel=error "$(node -p 'require("./package.json").packageManager')" \
 && pnpm install --frozen-lockfile --filter "@aetherlink/command-center..." --filter "@aetherlink/example-customer-ops..." \
 && pnpm --filter "@aetherlink/command-center..." --filter "@aetherlink/example-customer-ops..." exec tsup --no-dts \
 && pnpm --filter @aetherlink/command-center deploy --prod /out/command-center/app \
 && pnpm --filter @aetherlink/example-customer-ops deploy --prod /out/customer-ops/app \
 && mkdir /out/command-center/data /out/customer-ops/data \
 && chown 1000:1000 /out/command-center/data /out/customer-ops/data

# ---- customer-ops: the CRM example, beside the command center in compose.yaml.
FROM ${BASE_IMAGE} AS customer-ops
# /app (root-owned: the server cannot change its own code) and /data (the runtime user's), in one layer.
COPY --from=build /out/customer-ops/ /
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8020 CRM_DB=/data/customer-ops.db
# 1000 is the official image's `node` user; a numeric id needs no /etc/passwd entry on other bases.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8020
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself (it deregisters, drains and closes its database).
ENTRYPOINT ["node", "/app/dist/main.js"]

# ---- the command center (the default target).
FROM ${BASE_IMAGE} AS command-center
COPY --from=build /out/command-center/ /
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8010 AETHERLINK_DB=/data/aetherlink.db
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8010
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself: readiness fails, requests finish, the SQLite file closes.
ENTRYPOINT ["node", "/app/dist/main.js"]
