#!/usr/bin/env bash
# Checks the unit templates offline with `systemd-analyze verify` (no running systemd needed):
# instantiates each for a job "demo", with ExecStart pointing at a built trellis binary
# (argument 1, else `trellis` on PATH, else .build/release or .build/debug) so that the
# executable check means something, and an environment file made from job.env.example.
# Then runs each ExecStart as systemd would expand it (the unit's Environment= defaults, the
# example environment file, the specifiers %i %S %H %d), in an empty folder with a 1 s join
# timeout: it must get past argument parsing (exit 1 on the missing config or the unreachable
# coordinator, not 64, ArgumentParser's usage error), so a flag the CLI does not know fails here.
# Installs nothing: on a machine without systemd-analyze, install Debian's `systemd` package.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: apt-get install systemd" >&2; exit 2; }
bin="${1:-$(command -v trellis || true)}"
for candidate in "$root/.build/release/trellis" "$root/.build/debug/trellis"; do
  [ -n "$bin" ] || { [ -x "$candidate" ] && bin="$candidate"; } || true
done
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no trellis binary: pass its path (swift build first)" >&2; exit 2; }
"$bin" --help >/dev/null

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$here/job.env.example" "$tmp/demo.env"
for unit in "$here"/trellis-*@.service; do
  name=$(basename "$unit")
  sed -e "s#/usr/local/bin/trellis#$bin#" -e "s#/etc/trellis/%i.env#$tmp/%i.env#" "$unit" > "$tmp/$name"
done
status=0
for role in coordinator worker server; do
  instance="$tmp/trellis-$role@demo.service"
  ln -s "trellis-$role@.service" "$instance"
  # --man=no: Documentation= points at the installed README, not a man page.
  if out=$(systemd-analyze verify --man=no "$instance" 2>&1) && [ -z "$out" ]; then
    echo "ok    trellis-$role@.service"
  else
    echo "FAIL  trellis-$role@.service"; echo "$out" | sed 's/^/      /'; status=1
  fi
done

# ExecStart with its continuation lines joined.
execstart() { awk '/^ExecStart=/{f=1; sub(/^ExecStart=/,"")} f{ if (sub(/\\$/,"")) printf "%s", $0; else { print; f=0 } }' "$1"; }
mkdir "$tmp/cwd"
for role in coordinator worker server; do
  unit="$tmp/trellis-$role@.service"
  cmd=$(execstart "$unit" | sed -e 's#%i#demo#g' -e 's#%S#/var/lib#g' -e "s#%H#$(hostname)#g" -e 's#%d#/run/credentials/demo#g')
  out=$(cd "$tmp/cwd" && env -i PATH="$PATH" bash -c '
      set -f -a
      eval "$(sed -n "s/^Environment=//p" "$1")"
      . "$2"
      TRELLIS_JOIN_TIMEOUT=1
      eval "args=($3)"
      timeout 30 "${args[@]}"' _ "$unit" "$tmp/demo.env" "$cmd" 2>&1) && rc=0 || rc=$?
  case $rc in
    64|124|137) echo "FAIL  trellis-$role@.service ExecStart (exit $rc)"; echo "$out" | tail -5 | sed 's/^/      /'; status=1 ;;
    *) echo "ok    trellis-$role@.service ExecStart parses (exit $rc: $(echo "$out" | grep -m1 -i error | cut -c1-90))" ;;
  esac
done
exit $status
