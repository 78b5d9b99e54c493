#!/usr/bin/env bash
# Build the GoSQLGuard container image without a container engine or a registry:
#
#   1. a Debian bookworm base rootfs made with debootstrap (cached; remade when older than
#      BASE_MAX_AGE_DAYS), imported as localhost/debian-base:bookworm;
#   2. the static binary built on this host (make build, version and commit stamped);
#   3. buildah builds the Dockerfile's "prebuilt" target on that base (the client tools come
#      from Debian's mirror with apt inside the build), tagged localhost/gosqlguard:VERSION.
#
# Needs root, buildah, podman (for the image store it shares with buildah), debootstrap, make, go.
# Environment (all optional):
#   VERSION, COMMIT       default: git describe --tags --always --dirty, git rev-parse HEAD
#   IMAGE                 default: localhost/gosqlguard:VERSION (also tagged :latest)
#   PG_CLIENT             debian (default here: Debian's postgresql-client 15) or pgdg
#   PG_MAJOR              with PG_CLIENT=pgdg: the client's major version (default: the Dockerfile's)
#   DEBIAN_MIRROR         default http://deb.debian.org/debian
#   CACHE_DIR             default ${XDG_CACHE_HOME:-$HOME/.cache}/gosqlguard-image
#   BASE_MAX_AGE_DAYS     default 7 (the base gets Debian's updates when it is remade)
#   STORAGE_DRIVER        passed to buildah/podman as --storage-driver when set (e.g. vfs)
#   BUILDAH_ISOLATION     default chroot
#   KEEP_IMAGES           older builds of the image's repository beyond this many are removed (3)
# Prints the image name on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$(date +%s)
step_start=$t_start
step() { # step NAME: print the time the previous step took, then announce the next
  local now; now=$(date +%s)
  [ -n "${step_name:-}" ] && echo "build-image: ${step_name} took $((now - step_start))s" >&2
  step_name=$1; step_start=$now
  [ -n "$step_name" ] && echo "build-image: ${step_name}..." >&2
  return 0
}

for tool in buildah podman debootstrap make go zstd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-image: $tool is required" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-image: run as root (debootstrap and the image store need it)" >&2; exit 1; }

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
# A tag is [A-Za-z0-9_.-], at most 128 characters, not starting with . or -.
tag=$(printf '%s' "$VERSION" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)
case "$tag" in ''|[.-]*) tag="v$tag" ;; esac
IMAGE=${IMAGE:-localhost/gosqlguard:$tag}
PG_CLIENT=${PG_CLIENT:-debian}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/gosqlguard-image}
BASE_MAX_AGE_DAYS=${BASE_MAX_AGE_DAYS:-7}
BASE_IMAGE=localhost/debian-base:bookworm
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
store=()
[ -n "${STORAGE_DRIVER:-}" ] && store=(--storage-driver "$STORAGE_DRIVER")

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock 9 # one build at a time per cache

# --- 1. the base rootfs ---------------------------------------------------------------------
base_tar=$CACHE_DIR/debian-bookworm-minbase.tar.zst
if [ -s "$base_tar" ] && [ -z "$(find "$base_tar" -mtime +"$BASE_MAX_AGE_DAYS")" ]; then
  echo "build-image: base rootfs cached: $base_tar" >&2
else
  step "debootstrap bookworm (minbase)"
  rootfs=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; exit 1; }
  # What Debian's bookworm-slim image has: the updates and security suites, and no
  # documentation, man pages or translations from later installs.
  rm -f "$rootfs/etc/apt/sources.list"
  security_mirror=${DEBIAN_MIRROR%/debian}/debian-security
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  step "base: apt-get upgrade (bookworm-updates, bookworm-security)"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -ec \
    'apt-get update -qq; apt-get upgrade -y -qq; apt-get clean' >"$CACHE_DIR/upgrade.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/upgrade.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/apt/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  step "base: pack rootfs"
  tar --numeric-owner --xattrs -C "$rootfs" -c . | zstd -q -T0 -3 -o "$base_tar.tmp"
  mv "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
  trap - EXIT
fi

# --- 2. the base image, imported once per rootfs ----------------------------------------------
base_id=$(sha256sum <"$base_tar" | cut -c1-64)
have=$(podman "${store[@]}" image inspect --format '{{index .Labels "org.gosqlguard.rootfs.sha256"}}' \
  "$BASE_IMAGE" 2>/dev/null || true)
if [ "$have" = "$base_id" ]; then
  echo "build-image: $BASE_IMAGE is up to date" >&2
else
  step "import $BASE_IMAGE"
  zstd -q -dc "$base_tar" | podman "${store[@]}" import --quiet \
    --change "LABEL org.gosqlguard.rootfs.sha256=$base_id" \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE_IMAGE" >/dev/null
fi

# --- 3. the binary ----------------------------------------------------------------------------
step "go build (make build)"
make --no-print-directory build VERSION="$VERSION" COMMIT="$COMMIT" >&2
bin/gosqlguard version >&2

# --- 4. the image -----------------------------------------------------------------------------
step "buildah build --target prebuilt ($IMAGE)"
# The version labels are given again with --label: buildah's layer cache (--layers) reuses a
# LABEL step whose build arguments changed, which would keep the previous build's version.
pg_args=(--build-arg "PG_CLIENT=$PG_CLIENT")
[ -n "${PG_MAJOR:-}" ] && pg_args+=(--build-arg "PG_MAJOR=$PG_MAJOR")
buildah "${store[@]}" build \
  --isolation "$BUILDAH_ISOLATION" \
  --layers \
  --pull=never \
  --target prebuilt \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --build-arg "VERSION=$VERSION" \
  --build-arg "COMMIT=$COMMIT" \
  "${pg_args[@]}" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$COMMIT" \
  --tag "$IMAGE" \
  --tag "${IMAGE%:*}:latest" \
  --file Dockerfile \
  . >"$CACHE_DIR/buildah.log" 2>&1 || { tail -40 "$CACHE_DIR/buildah.log" >&2; exit 1; }
# The tools' versions, as the build printed them (nothing when every step came from the cache).
{ grep -E '^(mariadb-dump|pg_dump|gosqlguard) ' "$CACHE_DIR/buildah.log" || true; } | sort -u |
  sed 's/^/build-image:   /' >&2

# Keep the newest KEEP_IMAGES builds of this repository name; older ones only fill the disk.
mapfile -t old < <(podman "${store[@]}" images --noheading --sort created \
  --format '{{.Repository}}:{{.Tag}}' --filter "reference=${IMAGE%:*}" |
  grep -v -e ":latest\$" -e "^$IMAGE\$" | tail -n +"${KEEP_IMAGES:-3}")
if [ ${#old[@]} -gt 0 ]; then podman "${store[@]}" rmi "${old[@]}" >/dev/null 2>&1 || true; fi
step ""

size=$(podman "${store[@]}" image inspect --format '{{.Size}}' "$IMAGE")
echo "build-image: built $IMAGE ($((size / 1000000)) MB) in $(($(date +%s) - t_start))s" >&2
echo "$IMAGE"
