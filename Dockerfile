# syntax=docker/dockerfile:1
# seal-agent's image: a static binary on distroless, running as nonroot.
# Build with `make image` (IMAGE=...). Multi-arch: docker buildx build
# --platform linux/amd64,linux/arm64 . (TARGETOS/TARGETARCH below).

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
# Static (no libc on distroless/static) and reproducible (-trimpath, no
# build IDs in paths).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/seal-agent ./cmd/seal-agent

# distroless/static: no shell, no package manager, CA certificates and
# /etc/passwd with the nonroot user (65532) only.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/seal-agent /usr/local/bin/seal-agent
# Must match runAsUser/runAsGroup in manifests/deployment.yaml and the
# chart's values (test/install checks).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/seal-agent"]
