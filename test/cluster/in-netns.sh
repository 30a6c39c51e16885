#!/usr/bin/env bash
# Run a command inside a fresh network namespace (see netns.sh), then delete the namespace and
# anything still running in it.
#
#   bash test/cluster/in-netns.sh node --experimental-vm-modules node_modules/jest/bin/jest.js \
#       -c jest.integration.config.js
#
# Inside, the command sees: SLUICE_NETNS (namespace name), SLUICE_IT_HOST_ADDR (10.77.0.1) and
# SLUICE_IT_SUBNET (10.77.0.0/16; every address in it is bindable). Exit status is the
# command's. If already inside a namespace made by these scripts, the command runs as is.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -eq 0 ]]; then
  echo "usage: in-netns.sh COMMAND [ARG...]" >&2
  exit 2
fi

IP=${SLUICE_IP:-/usr/sbin/ip}
[[ -x "$IP" ]] || IP=$(command -v ip || echo ip)

export SLUICE_IT_HOST_ADDR=${SLUICE_IT_HOST_ADDR:-10.77.0.1}
export SLUICE_IT_PREFIX_LEN=${SLUICE_IT_PREFIX_LEN:-16}
export SLUICE_IT_SUBNET=${SLUICE_IT_SUBNET:-10.77.0.0/16}

# Already inside one of ours? (in-netns.sh nested, or a shell from up.sh)
if [[ -n "${SLUICE_NETNS:-}" && -e "/run/netns/$SLUICE_NETNS" ]] &&
  [[ "$(stat -L -c %i /proc/self/ns/net)" == "$(stat -L -c %i "/run/netns/$SLUICE_NETNS")" ]]; then
  exec "$@"
fi

ns=$(bash "$here/netns.sh" create) || exit 1
export SLUICE_NETNS=$ns
cleanup() {
  bash "$here/netns.sh" delete "$ns" || echo "in-netns.sh: could not delete netns $ns" >&2
}
trap cleanup EXIT
# The command runs as a background job so that we can forward TERM/HUP to it (a foreground
# child would only see them after it exited). Its stdin stays ours (`<&0`). Ctrl-C reaches the
# command directly from the terminal, so INT is only acknowledged here; cleanup runs at EXIT.
"$IP" netns exec "$ns" "$@" <&0 &
child=$!
trap ':' INT
trap 'kill -TERM "$child" 2>/dev/null' TERM HUP
while :; do
  wait "$child"
  rc=$?
  # wait returns >128 when a trapped signal interrupts it while the child still runs.
  if [[ $rc -gt 128 ]] && kill -0 "$child" 2>/dev/null; then continue; fi
  break
done
exit "$rc"
