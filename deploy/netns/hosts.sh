#!/usr/bin/env bash
# Simulated hosts on one machine: network namespaces trellis-h0 … trellis-h{N-1}, each with one
# interface eth0 (10.77.0.{k+1}/24) on a bridge in namespace trellis-net, its egress shaped
# to a link profile: tc netem (delay and rate) where the kernel has it, else tc tbf (rate
# only; `up` then says the delay is not emulated). Needs root (ip netns, tc).
#
#   bash deploy/netns/hosts.sh up N PROFILE    # PROFILE: 1g (1 Gbit/s, 0.5 ms) or 10g (10 Gbit/s, 0.1 ms)
#   bash deploy/netns/hosts.sh down            # removes every trellis-* namespace (and so its links)
#   bash deploy/netns/hosts.sh bytes K         # "tx rx" bytes of host K's eth0 so far
#
# Delay and rate apply where a packet leaves a host, so a round trip between two hosts pays
# the delay twice, as between two machines on one switch.
set -euo pipefail

profile() {  # -> "rate delay"
  case "$1" in
    1g) echo "1gbit 0.5ms" ;;
    10g) echo "10gbit 0.1ms" ;;
    *) echo "unknown link profile '$1': expected 1g or 10g" >&2; exit 2 ;;
  esac
}

shape() {  # namespace rate delay
  if ! ip netns exec "$1" tc qdisc add dev eth0 root netem delay "$3" rate "$2" limit 100000 2>/dev/null; then
    # No netem in this kernel: the rate alone, with a bucket of 1 ms at that rate.
    ip netns exec "$1" tc qdisc add dev eth0 root tbf rate "$2" burst "$([ "$2" = 10gbit ] && echo 1250kb || echo 125kb)" latency 100ms
    echo "$1: tc netem is not available in this kernel ($(uname -r)): rate $2 only, the $3 delay is not emulated" >&2
  fi
}

down() {
  for ns in $(ip netns list | awk '/^trellis-/{print $1}'); do ip netns del "$ns"; done
}

up() {
  local n=$1 rate delay
  [[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 32 )) || { echo "host count '$n': expected 1 to 32" >&2; exit 2; }
  read -r rate delay <<<"$(profile "$2")"
  down
  ip netns add trellis-net
  ip -n trellis-net link add br0 type bridge
  ip -n trellis-net link set br0 up
  for k in $(seq 0 $((n - 1))); do
    local ns=trellis-h$k
    ip netns add "$ns"
    ip link add "h$k" netns trellis-net type veth peer name eth0 netns "$ns"
    ip -n trellis-net link set "h$k" master br0 up
    ip -n "$ns" addr add "10.77.0.$((k + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    shape "$ns" "$rate" "$delay"
  done
}

bytes() {
  ip netns exec "trellis-h$1" cat /sys/class/net/eth0/statistics/tx_bytes /sys/class/net/eth0/statistics/rx_bytes | paste -sd' '
}

case "${1:-}" in
  up) up "${2:?host count}" "${3:-1g}" ;;
  down) down ;;
  bytes) bytes "${2:?host}" ;;
  *) echo "usage: $0 up N [1g|10g] | down | bytes K" >&2; exit 2 ;;
esac
