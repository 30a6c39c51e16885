#!/usr/bin/env bash
# Run Sluice the way the chart's pod runs it, without a kubelet: in a private mount namespace
# where every filesystem is read-only except a fresh tmpfs on /tmp (the chart's emptyDir), as
# uid/gid 1000 (the image's `node` user) with no capabilities and no_new_privs, laid out like the
# image (/app/dist, /app/node_modules, WORKDIR /app), and with the pod's in-cluster credentials
# at /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace).
#
#   pod-sandbox.sh --sa-dir DIR [--uid 1000] -- node dist/main.js --provider=kubernetes …
#
# DIR holds token, ca.crt and namespace. The caller sets KUBERNETES_SERVICE_HOST/PORT,
# POD_NAME and POD_NAMESPACE as the kubelet would. Needs root (unshare, mount, setpriv). The
# command replaces this script (exec all the way), so its PID is the one the caller spawned.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sa_dir=""
uid=1000
while (($#)); do
  case $1 in
    --sa-dir) sa_dir=$2; shift 2 ;;
    --uid) uid=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "pod-sandbox.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
(($#)) || { echo "usage: pod-sandbox.sh --sa-dir DIR [--uid N] -- COMMAND…" >&2; exit 2; }
for f in token ca.crt namespace; do
  [[ -f "$sa_dir/$f" ]] || { echo "pod-sandbox.sh: $sa_dir/$f missing" >&2; exit 2; }
done
[[ -d "$repo/dist" ]] || { echo "pod-sandbox.sh: $repo/dist missing (npm run build)" >&2; exit 2; }

# Inside the new mount namespace (nothing here is visible outside it):
#  1. /run becomes a tmpfs holding /run/app (the image's /app, bind-mounted from the repo) and
#     the service-account files (/var/run is /run);
#  2. every mount except /proc, /sys and /dev is made read-only;
#  3. /tmp gets a fresh, writable tmpfs; then the command runs as $uid with nothing else.
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- bash -euo pipefail -c '
  repo=$1 sa_dir=$2 uid=$3; shift 3
  mount -t tmpfs -o mode=0755,size=16m sluice-run /run
  sa=/run/secrets/kubernetes.io/serviceaccount
  mkdir -p /run/app/dist /run/app/node_modules "$sa"
  cp "$sa_dir/token" "$sa_dir/ca.crt" "$sa_dir/namespace" "$sa/"
  chmod 0644 "$sa"/*
  mount --bind "$repo/dist" /run/app/dist
  mount --bind "$(readlink -f "$repo/node_modules")" /run/app/node_modules
  cp "$repo/package.json" /run/app/package.json
  # (Mounts hidden under the new /run, e.g. /run/netns/*, are no longer reachable: skipped.)
  awk "{print \$5}" /proc/self/mountinfo | sort -u | while read -r mp; do
    case $mp in /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) continue ;; esac
    [[ -e "$mp" ]] || continue
    mount -o remount,bind,ro "$mp" 2>/dev/null || mount -o remount,ro "$mp"
  done
  mount -t tmpfs -o mode=1777,size=64m sluice-tmp /tmp
  cd /run/app
  export HOME=/home/node PATH=/run/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin
  exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all --ambient-caps=-all \
    --bounding-set=-all --no-new-privs -- "$@"
' pod-sandbox "$repo" "$sa_dir" "$uid" "$@"
