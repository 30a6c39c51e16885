# Sourced by the cluster and conformance scripts: `repo` (the checkout) and `cache` (the absolute
# cache root: $SLUICE_CACHE_DIR, default <repo>/.cache, created if missing). The sourcing script
# sets `here` to its own directory first; both live two levels below the checkout.
repo=$(cd "$here/../.." && pwd)
cache=${SLUICE_CACHE_DIR:-$repo/.cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
