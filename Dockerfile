# The worker and API image (one image, two commands; see docker-compose.yml).
# The TypeScript runs through tsx (a runtime dependency), so there is no separate compile step;
# the workflow bundle is built ahead of time so the worker starts without bundling.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install (not npm ci): the lock file was written against another registry mirror and may lack
# this platform's optional native builds, which npm ci refuses to resolve.
RUN npm install --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The onboarding record's migrations, applied by the worker and the API at start-up.
COPY migrations ./migrations
# The reference frontend's sources, bundled by the API when /app/ is first asked for.
COPY web ./web
RUN npm run build:workflow-bundle

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The worker runs exactly the workflow code built into this image.
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build --chown=node:node /app ./
# The file store's mount point, owned by the unprivileged user so a fresh named volume is too.
RUN mkdir -p /data/files && chown node:node /data/files
USER node
# The API by default; the worker's service overrides the command.
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/api/main.ts"]
