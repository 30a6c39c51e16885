#!/usr/bin/env bash
# Copies the Gateway API standard-channel CRDs from the release's own Go module
# (sigs.k8s.io/gateway-api, config/crd/standard) into crds/gateway-api/. Never hand-edit those
# files: bump VERSION and re-run this script.
#   crds/fetch-gateway-api.sh            # uses VERSION below
#   GATEWAY_API_VERSION=v1.6.2 crds/fetch-gateway-api.sh
set -euo pipefail

VERSION="${GATEWAY_API_VERSION:-v1.6.1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/gateway-api"
cache="${GATEWAY_API_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice/gomod}"

mkdir -p "$cache"
# `go mod download -json` prints the module's extracted directory ("Dir") in the module cache.
dir="$(GOMODCACHE="$cache" GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$VERSION" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$dir" || ! -d "$dir/config/crd/standard" ]]; then
  echo "fetch-gateway-api: no config/crd/standard in sigs.k8s.io/gateway-api@$VERSION" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
cp "$dir"/config/crd/standard/*.yaml "$out/"
chmod 0644 "$out"/*.yaml
cat > "$out/README.md" <<README
# Gateway API CRDs (standard channel)

Copied unmodified from the Go module \`sigs.k8s.io/gateway-api@$VERSION\`, directory
\`config/crd/standard\`, by \`crds/fetch-gateway-api.sh\`. Do not edit; re-run the script to update.

Install: \`kubectl apply --server-side -f crds/gateway-api/\`
README
echo "fetch-gateway-api: copied $(ls "$out"/*.yaml | wc -l) CRDs from sigs.k8s.io/gateway-api@$VERSION into $out"
