#!/usr/bin/env bash
# Validates the manifests offline (no cluster, no network):
#   1. `kubectl kustomize` builds base/, servers/ and curve/ (and make-secrets.sh's Secrets);
#   2. kubernetes-validate checks every object against the Kubernetes $K8S_VERSION OpenAPI
#      schema, strictly (an unknown or misspelt field fails); `pip install kubernetes-validate`;
#   3. check.py checks what a schema cannot: selectors, services, volumes, secret and config
#      references, probes' ports, resources, hardening, the token never in arguments,
#      --workers/--servers against the replicas, --resume on the checkpoint volume, the
#      ConfigMap against configs/ml100k-sage.yaml;
#   4. with a trellis binary (argument 1, or `trellis` on PATH), each container's arguments run
#      through the real CLI, which must get past argument parsing (exit 1 on the absent config
#      or coordinator, never 64, ArgumentParser's usage error).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_VERSION="${K8S_VERSION:-1.32.0}"
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 2; }
command -v kubernetes-validate >/dev/null || { echo "kubernetes-validate not found: python3 -m pip install kubernetes-validate" >&2; exit 2; }
bin="${1:-$(command -v trellis || true)}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== kustomize build"
for overlay in base servers curve; do
  kubectl kustomize "$here/$overlay" > "$tmp/$overlay.yaml"
  echo "ok    $overlay: $(grep -c '^kind:' "$tmp/$overlay.yaml") objects ($(grep '^kind:' "$tmp/$overlay.yaml" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}'))"
done
TRELLIS_TOKEN=validate-only-not-a-secret-0123456789 bash "$here/make-secrets.sh" > "$tmp/secrets.yaml"
echo "ok    make-secrets.sh: $(grep -c '^kind: Secret' "$tmp/secrets.yaml") Secret"

echo "== schema (Kubernetes $K8S_VERSION, strict)"
status=0
for f in base servers curve secrets; do
  if out=$(kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$tmp/$f.yaml" 2>&1); then
    echo "ok    $f"
  else
    echo "FAIL  $f"; echo "$out" | sed 's/^/      /'; status=1
  fi
done

echo "== references and policy"
python3 "$here/check.py" "$here/../../configs/ml100k-sage.yaml" "$tmp/base.yaml" "$tmp/servers.yaml" "$tmp/curve.yaml" || status=1

if [ -n "$bin" ] && [ -x "$bin" ]; then
  echo "== arguments through $bin"
  python3 "$here/check.py" --print-args "$tmp/base.yaml" "$tmp/servers.yaml" "$tmp/curve.yaml" > "$tmp/args.txt"
  mkdir "$tmp/cwd"
  while IFS=$'\t' read -r name argv; do
    eval "args=($argv)"
    out=$(cd "$tmp/cwd" && TRELLIS_TOKEN=x timeout 30 "$bin" "${args[@]}" 2>&1) && rc=0 || rc=$?
    case $rc in
      64|124|137) echo "FAIL  $name (exit $rc)"; echo "$out" | tail -4 | sed 's/^/      /'; status=1 ;;
      *) echo "ok    $name parses (exit $rc: $(echo "$out" | grep -m1 -i error | cut -c1-80))" ;;
    esac
  done < "$tmp/args.txt"
else
  echo "== arguments: skipped (no trellis binary; pass its path)"
fi
exit $status
