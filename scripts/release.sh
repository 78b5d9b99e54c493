#!/usr/bin/env bash
# Builds the release binaries: static (CGO_ENABLED=0), stripped, with the
# version and commit stamped, for each platform in PLATFORMS, into dist/,
# with a SHA256SUMS file over them. Usage: scripts/release.sh VERSION COMMIT
# (the Makefile's `make release` passes them).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?version}
commit=${2:?commit}
platforms=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/arm64"}
go=${GO:-go}

rm -rf dist
mkdir -p dist
for p in $platforms; do
  os=${p%/*}
  arch=${p#*/}
  out="dist/gosqlguard-${version}-${os}-${arch}"
  echo "building $out"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath \
    -ldflags "-s -w -X main.version=${version} -X main.commit=${commit}" \
    -o "$out" ./cmd/gosqlguard
done
(cd dist && sha256sum gosqlguard-* > SHA256SUMS)
echo "dist/SHA256SUMS:"
cat dist/SHA256SUMS
