# dlcheck: build the TypeScript, then run it on a slim Node 24 (LTS) with production dependencies
# only. CI runs the whole suite on Node 24 and on Node 20 (.ci/run).
FROM node:24-bookworm-slim AS build
# The optional native matrix backend (native/README.md) needs a C compiler and OpenBLAS's headers.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev libopenblas-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY native ./native
# npm run build also builds native/build/dlcheck_blas.node, or says why not and goes on: the
# folder exists either way, so the COPY below never fails and the service falls back to wasm.
RUN mkdir -p native/build && npm run build

FROM node:24-bookworm-slim
# OpenBLAS at run time for the native backend (without it, it reports itself unavailable).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# The service only: dist/scripts (generate, the scale-out proof) stays in the build stage.
COPY --from=build /app/dist/src ./dist/src
# The WebAssembly matrix kernels, read at start beside dist/ (src/math/backend.ts).
COPY wasm/kernels.wasm ./wasm/
COPY --from=build /app/native/build ./native/build
# Read at start beside dist/ (src/project-file.ts): the Markdown the service serves (src/playgrounds/index.ts, MARKDOWN).
COPY README.md CONTRIBUTING.md BENCHMARKS.md ./
COPY docs ./docs
COPY deploy/README.md ./deploy/
# The commit GET /version reports (docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) .):
# the image has no .git to read it from. Unset, it is empty and /version says null. Last, so
# a new commit does not invalidate the cached layers above (npm ci).
ARG GIT_COMMIT=""
ENV GIT_COMMIT=${GIT_COMMIT}
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node, not npm: signals reach the server directly, so SIGTERM shuts it down gracefully.
CMD ["node", "dist/src/server.js"]
