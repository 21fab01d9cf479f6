# syntax=docker/dockerfile:1
# ortq image: one image for the worker, the scheduler and the dashboard (the command picks one).
# Node 24 is an LTS line (supported to April 2028); build with --build-arg NODE_VERSION=26 for the newest LTS.
ARG NODE_VERSION=24

# ---- build: compile TypeScript with the dev dependencies ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# scripts are skipped: `prepare` would build before the sources are here, and
# onnxruntime-node's postinstall only fetches CUDA binaries (the CPU ones ship in the package)
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# the drift histograms' native counting kernel (native/simd-bins, an optional
# dependency that npm ci's skipped scripts did not build): built here, where a
# compiler may be installed, and copied into the runtime image; without it ortq
# counts with its WebAssembly kernel, at about ten times the cost (docs/perf/drift.md)
RUN apt-get update && apt-get install -y --no-install-recommends g++ make python3 && rm -rf /var/lib/apt/lists/*
COPY native/simd-bins ./native/simd-bins
RUN node native/simd-bins/build.cjs

# ---- runtime: production dependencies and the compiled code only ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# one malloc arena: one per thread kept freed batch buffers and grew RSS with the input, two still left a
# 45 MB spread between runs (docs/performance.md, Tuning)
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    MODEL_REPO_PATH=/data/models \
    ORTQ_HOME=/data/.ortq
WORKDIR /app
COPY package.json package-lock.json ./
# its package.json first, so that npm ci links the optional @ortq/simd-bins to it
COPY native/simd-bins/package.json ./native/simd-bins/package.json
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/native/simd-bins/build/Release/simd_bins.node ./native/simd-bins/build/Release/simd_bins.node
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
COPY jobs ./jobs
COPY docs/job.schema.json ./docs/job.schema.json
# models, inputs, results and the run ledger live on a volume at /data, owned by the unprivileged user
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
# the CLI answers and Redis (REDIS_URL) is reachable; compose overrides this per service
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "/app/bin/ortq.js", "status", "--json", "--runs", "1"]
ENTRYPOINT ["node", "/app/bin/ortq.js"]
CMD ["worker"]
