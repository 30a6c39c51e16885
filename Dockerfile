# Sluice container image: build with the full toolchain, ship only dist/ and production deps.
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
USER node
EXPOSE 8080 8443 9090
ENTRYPOINT ["node", "dist/main.js"]
