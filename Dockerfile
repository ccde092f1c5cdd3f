# whoami-api, whoami-oauth, hubauth-proxy and hubauth-oidc as static
# binaries in an image with nothing else: no shell, no package manager, no
# libc, a non-root user.
#
#   docker build -t whoami .          # or: podman build -t whoami .
#   docker run --rm whoami -h         # whoami-api; the others are in /usr/local/bin/
#
# examples/kubernetes/ runs it on zero-to-jupyterhub. GO_IMAGE picks the
# build stage's Go (it must be at least go.mod's version); the build stage
# runs no shell, so any image with the go command will do.
ARG GO_IMAGE=golang:1.26

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN ["go", "mod", "download"]
COPY hubauth/ hubauth/
COPY internal/ internal/
COPY cmd/ cmd/
RUN ["go", "build", "-ldflags=-s -w", "-o", "/out/", "./cmd/whoami-api", "./cmd/whoami-oauth", "./cmd/hubauth-proxy", "./cmd/hubauth-oidc"]

FROM scratch
# CA certificates, for a hub API reached over https with a public
# certificate (an external service calling https://hub.example.org/hub/api).
# In-cluster http needs none, and internal SSL brings its own CA.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ /usr/local/bin/
ENV PATH=/usr/local/bin
# nobody:nogroup, as in the distroless images; no file in the image needs
# an owner.
USER 65534:65534
# The service (HUBAUTH_LISTEN=:8000 in examples/kubernetes) and the
# operations listener (HUBAUTH_METRICS_LISTEN=:9090).
EXPOSE 8000 9090
ENTRYPOINT ["/usr/local/bin/whoami-api"]
