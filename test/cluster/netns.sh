#!/usr/bin/env bash
# Network namespaces for the integration tests.
#
#   netns.sh create [NAME]   create NAME (default sluice-it-<random>), print its name
#   netns.sh delete NAME     kill every process still inside NAME, then delete it
#   netns.sh exists NAME     exit 0 if NAME exists
#
# Layout of a namespace: only `lo`, up, with 127.0.0.1/8 and $SLUICE_IT_HOST_ADDR/16
# (default 10.77.0.1/16). An address with a prefix on `lo` makes the kernel add a `local` route
# for the whole prefix, so every 10.77.x.y is bindable inside the namespace. There is no other
# interface and no route out: nothing sent inside can leave it.
#
# Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2.
set -euo pipefail

IP=${SLUICE_IP:-/usr/sbin/ip}
[[ -x "$IP" ]] || IP=$(command -v ip || true)
if [[ -z "$IP" ]]; then
  echo "netns.sh: iproute2 'ip' not found (apt-get install iproute2)" >&2
  exit 1
fi
host_addr=${SLUICE_IT_HOST_ADDR:-10.77.0.1}
prefix_len=${SLUICE_IT_PREFIX_LEN:-16}

exists() {
  [[ -e "/run/netns/$1" ]]
}

create() {
  local ns=${1:-sluice-it-$$-$RANDOM}
  if exists "$ns"; then
    echo "netns.sh: network namespace $ns already exists" >&2
    return 1
  fi
  "$IP" netns add "$ns"
  if ! { "$IP" -n "$ns" link set lo up &&
    "$IP" -n "$ns" addr add "$host_addr/$prefix_len" dev lo; }; then
    "$IP" netns del "$ns" || true
    return 1
  fi
  echo "$ns"
}

delete() {
  local ns=$1 pids i
  exists "$ns" || return 0
  # Everything inside a namespace we created was started by us: stop it so nothing stray
  # survives (a deleted namespace lives on while processes are in it).
  pids=$("$IP" netns pids "$ns" 2>/dev/null || true)
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for i in $(seq 1 50); do
      pids=$("$IP" netns pids "$ns" 2>/dev/null || true)
      [[ -z "$pids" ]] && break
      sleep 0.1
    done
    if [[ -n "$pids" ]]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.2
    fi
  fi
  "$IP" netns del "$ns"
}

cmd=${1:-}
shift || true
case "$cmd" in
  create) create "${1:-}" ;;
  delete)
    [[ $# -eq 1 ]] || { echo "usage: netns.sh delete NAME" >&2; exit 2; }
    delete "$1"
    ;;
  exists)
    [[ $# -eq 1 ]] || { echo "usage: netns.sh exists NAME" >&2; exit 2; }
    exists "$1"
    ;;
  *)
    echo "usage: netns.sh create [NAME] | delete NAME | exists NAME" >&2
    exit 2
    ;;
esac
