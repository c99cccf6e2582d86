# rllmc task run in a container (docs/container.md): the image proposes one change to the
# repository mounted at /workspace/repo, from the task and standards mounted at
# /workspace/context, and prints a commit message and a patch on stdout. It never writes to
# either mount, runs as a non-root user and installs nothing when it runs.
#
#   docker build -t rllmc-task .
#   docker run --rm --network=none --read-only --user 10001:10001 --cap-drop=ALL \
#     --security-opt no-new-privileges -v "$PWD:/workspace/repo:ro" \
#     -v "$SPECS:/workspace/context:ro" -e TRACKING_BREADCRUMB -e LLM_PROVIDER … rllmc-task NAME
#
# Stages: build (every dependency, tsc, then `npm pack`: exactly the files the npm package
# ships), deps (production dependencies only, no install scripts), runtime (the two copied in,
# git for `git apply --check`, npm removed). The `local` provider's node-llama-cpp is not in
# the image (an optional peer dependency with native binaries); docs/container.md says how to
# add it.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile, and pack what the package ships ----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the dev dependencies' install scripts (the pinned `node`, node-llama-cpp)
# download binaries the build does not need, and `prepare` would build before the sources are in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md LICENSE ./
COPY src ./src
COPY grammar ./grammar
COPY docs ./docs
COPY templates ./templates
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
  && chmod 755 dist/src/cli/main.js \
  && npm pack --ignore-scripts --pack-destination /tmp \
  && mkdir /package \
  && tar -xzf /tmp/rllmc-*.tgz -C /package --strip-components=1

# --- deps: production dependencies only ------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency rllmc needs at run time has an install script, and none is a native addon.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# git only for `git apply --check` (the second check of a patch before it is printed; the
# first, in memory, needs nothing). npm, npx, corepack and yarn go: nothing is installed later.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
    /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
  && groupadd --system --gid 10001 rllmc \
  && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin rllmc \
  && mkdir -p /workspace/repo /workspace/context
COPY --from=build /package /app
COPY --from=deps /app/node_modules /app/node_modules
ENV NODE_ENV=production \
  REPO_ROOT=/workspace/repo \
  CONTEXT_ROOT=/workspace/context \
  NODE_DISABLE_COMPILE_CACHE=1
WORKDIR /workspace
USER 10001:10001
ENTRYPOINT ["node", "/app/dist/src/cli/main.js", "task", "run"]
