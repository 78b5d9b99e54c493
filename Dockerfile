# GoSQLGuard container image: the static gosqlguard binary on Debian bookworm-slim with the
# MariaDB and PostgreSQL client tools it runs for dumps and restores. See docs/container.md.
#
# Two ways to build it:
#
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t gosqlguard .
#       The default target (runtime) compiles the binary in a Go stage.
#
#   make build && docker build --target prebuilt -t gosqlguard .
#       The prebuilt target copies bin/gosqlguard from the build context instead and needs no Go
#       image (scripts/build-image.sh builds this way, daemonless, with buildah).
#
# Build arguments:
#   GO_IMAGE, BASE_IMAGE  the Go toolchain image and the runtime base (Debian bookworm)
#   VERSION, COMMIT       stamped into the binary (runtime target) and the image labels
#   PG_CLIENT             pgdg (default): postgresql-client-${PG_MAJOR} from apt.postgresql.org;
#                         debian: Debian's own postgresql-client (15), for builds that reach only
#                         Debian's mirror
#   PG_MAJOR              the PostgreSQL client major version taken from apt.postgresql.org

ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

# --- build: the static binary --------------------------------------------------------------
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/gosqlguard ./cmd/gosqlguard \
 && /out/gosqlguard version

# --- base: everything but the binary ---------------------------------------------------------
FROM ${BASE_IMAGE} AS base
ARG PG_CLIENT=pgdg
ARG PG_MAJOR=18
# The key of apt.postgresql.org is taken from Debian's postgresql-common package (which ships it
# for exactly this use), so it arrives signed by Debian's archive key, not by a bare download.
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates tzdata mariadb-client; \
    case "${PG_CLIENT}" in \
      pgdg) \
        codename="$(. /etc/os-release && echo "${VERSION_CODENAME}")"; \
        cd /tmp; \
        apt-get download postgresql-common; \
        dpkg-deb --fsys-tarfile postgresql-common_*.deb \
          | tar -xO ./usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg \
          > /usr/share/keyrings/apt.postgresql.org.gpg; \
        rm -f postgresql-common_*.deb; \
        test -s /usr/share/keyrings/apt.postgresql.org.gpg; \
        echo "deb [signed-by=/usr/share/keyrings/apt.postgresql.org.gpg] https://apt.postgresql.org/pub/repos/apt ${codename}-pgdg main" \
          > /etc/apt/sources.list.d/pgdg.list; \
        apt-get update --error-on=any; \
        apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}"; \
        ;; \
      debian) \
        apt-get install -y --no-install-recommends postgresql-client; \
        ;; \
      *) echo "PG_CLIENT must be pgdg or debian, not ${PG_CLIENT}" >&2; exit 1 ;; \
    esac; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    mariadb-dump --version; \
    pg_dump --version; \
    groupadd --gid 10001 gosqlguard; \
    useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
      --home-dir /var/lib/gosqlguard --shell /usr/sbin/nologin gosqlguard; \
    install -d -o 10001 -g 10001 -m 0750 /var/lib/gosqlguard; \
    install -d -o root -g 10001 -m 0750 /etc/gosqlguard; \
    printf '%s\n' \
      '# The image default: no settings, so that GOSQLGUARD_* environment variables configure' \
      '# everything (GOSQLGUARD_CONFIG names this file, which must exist). Mount a configuration' \
      '# file here, or a directory holding gosqlguard.yaml at /etc/gosqlguard, to replace it.' \
      > /etc/gosqlguard/gosqlguard.yaml; \
    chmod 0644 /etc/gosqlguard/gosqlguard.yaml

ARG BASE_IMAGE
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="gosqlguard" \
      org.opencontainers.image.description="Scheduled MySQL/MariaDB and PostgreSQL backups with retention, encryption, a catalog, an HTTP API and a web UI" \
      org.opencontainers.image.source="https://github.com/gosqlguard/gosqlguard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

ENV GOSQLGUARD_CONFIG=/etc/gosqlguard/gosqlguard.yaml
WORKDIR /var/lib/gosqlguard
# No VOLUME: an anonymous volume per container would scatter the catalog and local backups
# (docs/container.md says what to mount). /tmp must be writable (a tmpfs with --read-only).
USER 10001:10001
EXPOSE 8080
# gosqlguard is PID 1: it drains on SIGTERM (running backups get daemon.shutdown_timeout) and
# cancels on a second one, so no init or shell wrapper stands in between.
STOPSIGNAL SIGTERM
ENTRYPOINT ["gosqlguard"]
CMD ["serve"]

# --- prebuilt: the binary from the build context (bin/gosqlguard, see `make build`) ----------
FROM base AS prebuilt
COPY bin/gosqlguard /usr/local/bin/gosqlguard
RUN ["gosqlguard", "version"]

# --- runtime (default): the binary from the build stage ---------------------------------------
FROM base AS runtime
COPY --from=build /out/gosqlguard /usr/local/bin/gosqlguard
RUN ["gosqlguard", "version"]
