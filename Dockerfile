# The Sidekicks image: the `sidekick` CLI, run in Kubernetes as `sidekick controlplane …` by the
# chart in charts/sidekicks (its Deployment gives only arguments; the ENTRYPOINT is the launcher).
#
#   docker build -t sidekicks/sidekick:$(node -p 'require("./package.json").version') .

# ---- build: compile TypeScript and the native add-on (better-sqlite3), then drop dev packages ----
FROM node:20-bookworm-slim AS build
# node-gyp's toolchain, for this stage only: better-sqlite3 builds from source when no prebuilt
# binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The image's own Node headers (/usr/local/include/node), so node-gyp needs no download.
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node, the compiled code, production node_modules and the launcher; nothing else ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PATH=/app/bin:$PATH \
    HOME=/tmp
# A fixed uid/gid, 10001, that the chart's securityContext names (runAsUser/fsGroup).
RUN groupadd --gid 10001 sidekick \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sidekick
WORKDIR /app
# Owned by root and read-only to the process: the chart also mounts the root filesystem read-only.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
USER 10001:10001
EXPOSE 8443
# No HEALTHCHECK: Kubernetes probes /readyz and /livez (see the chart's Deployment).
ENTRYPOINT ["/app/bin/sidekick"]
CMD ["--help"]
