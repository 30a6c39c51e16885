# Sluice container image: build with the full toolchain, ship only dist/ and production deps.
#   docker build -t sluice:0.1.0 .      (the tag charts/sluice uses by default: its appVersion)
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# The project's own `node` devDependency is not needed in the image (the base image has Node 24).
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json ./
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY examples ./examples
# The base image's `node` user, numeric so that the kubelet can check runAsNonRoot. Sluice writes
# nothing to disk: the chart runs it with a read-only root filesystem and an emptyDir on /tmp
# (test/cluster/pod-sandbox.sh runs it that way in the Helm integration test).
USER 1000:1000
EXPOSE 8080 8443 9090
ENTRYPOINT ["node", "dist/main.js"]
