#!/usr/bin/env bash
# Prints the Secrets the manifests read, for `kubectl apply -f -`; writes nothing to disk:
#
#   bash deploy/k8s/make-secrets.sh | kubectl apply -f -                          # token
#   bash deploy/k8s/make-secrets.sh --curve path/to/trellis | kubectl apply -f -  # token + CURVE keys
#
# trellis-token (key `token`): 32 random bytes as hex, or $TRELLIS_TOKEN if set (to keep the
# token of hosts outside the cluster). trellis-curve (keys `curve.key`, `curve.pub`): a fresh
# keypair from `trellis keygen` (the binary given, or `trellis` on PATH), made in a private
# temporary folder that is removed on exit.
set -euo pipefail
curve=0; bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --curve) curve=1; bin="${2:-}"; [ -n "$bin" ] && shift ;;
    *) echo "usage: make-secrets.sh [--curve [TRELLIS_BINARY]]" >&2; exit 2 ;;
  esac
  shift
done
token="${TRELLIS_TOKEN:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
[ ${#token} -ge 16 ] || { echo "TRELLIS_TOKEN: expected at least 16 characters" >&2; exit 2; }
kubectl create secret generic trellis-token --from-literal=token="$token" --dry-run=client -o yaml
if [ $curve = 1 ]; then
  bin="${bin:-$(command -v trellis || true)}"
  [ -n "$bin" ] && [ -x "$bin" ] || { echo "--curve: no trellis binary (give its path)" >&2; exit 2; }
  dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; chmod 700 "$dir"
  "$bin" keygen --output-dir "$dir/keys" >/dev/null
  echo "---"
  kubectl create secret generic trellis-curve --from-file=curve.key="$dir/keys/curve.key" \
    --from-file=curve.pub="$dir/keys/curve.pub" --dry-run=client -o yaml
fi
