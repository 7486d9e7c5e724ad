#!/usr/bin/env bash
# Tests deploy/slurm/trellis.sbatch on a one-node Slurm started here (munge, slurmctld and
# slurmd from Debian's slurm-wlm, all state in a temporary folder): submits a short sage run
# on 3 task slots, SIGKILLs a worker once training is under way (the coordinator hands its
# partitions on), requeues the job (as after a node failure), and checks that the restarted
# coordinator resumed from its checkpoint and the job finished with results.json.
# Needs root. Usage: bash deploy/slurm/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v slurmctld >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
swift build -c release --product trellis >/dev/null
DIR=$(mktemp -d /tmp/trellis-slurm.XXXXXX)
chmod 755 "$DIR"
HOST=$(hostname -s)
started=()
munge_started=no
cleanup() {
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "$DIR" 2>/dev/null || true
  [ "$munge_started" = yes ] && pkill -x munged 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$DIR"/*.log "$DIR"/run/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done; exit 1; }
wait_for() {  # seconds description command...
  local limit=$1 what=$2; shift 2
  for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  fail "no $what within $limit s"
}

cat > "$DIR/slurm.conf" <<CONF
ClusterName=trellis-test
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/slurmd
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
MpiDefault=none
NodeName=$HOST CPUs=8 State=UNKNOWN
PartitionName=trellis Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$DIR/slurm.conf
mkdir -p "$DIR/ctld" "$DIR/slurmd"

if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  munge_started=yes
fi
slurmctld -D -i > "$DIR/slurmctld.out" 2>&1 & started+=($!)
slurmd -D > "$DIR/slurmd.out" 2>&1 & started+=($!)
wait_for 60 "idle node" bash -c "sinfo -h -o %t | grep -q idle"

RUN=$DIR/run
CONFIG=$DIR/sage.yaml
sed 's/^  epochs: .*/  epochs: 3/' configs/ml100k-sage.yaml > "$CONFIG"
grep -q '^cluster:' "$CONFIG" && sed -i 's/^cluster:/cluster:\n  checkpoint_every: 10/' "$CONFIG" || printf 'cluster:\n  checkpoint_every: 10\n' >> "$CONFIG"
export TRELLIS_TOKEN=slurm-test-$RANDOM$RANDOM
job=$(CONFIG=$CONFIG RUN_DIR=$RUN TRELLIS_BIN=$PWD/.build/release/trellis \
      sbatch --parsable --ntasks=3 --output="$DIR/job.out" deploy/slurm/trellis.sbatch)
echo "submitted job $job"
wait_for 240 "training under way" bash -c "ls -d $RUN/checkpoints/ckpt-* 2>/dev/null | grep -q ."
if pgrep -f -- "--token" >/dev/null; then fail "a process has the token on its command line"; fi

# A worker dies: the coordinator drops it and the survivor takes its partitions.
worker=$(pgrep -f "worker join --coordinator tcp://$HOST" | head -1)
kill -9 "$worker"
wait_for 120 "lost worker noticed" grep -q "worker lost" "$RUN/coordinator.log"

# The node "fails": the job is requeued and starts again from its newest checkpoint.
scontrol requeue "$job"
wait_for 300 "restarted coordinator" grep -q "resumed" "$RUN/coordinator.log"
wait_for 600 "finished job" bash -c "scontrol show job $job | grep -q 'JobState=COMPLETED'"
[ -f "$RUN/results/results.json" ] || fail "no results.json"
grep -q "restart 1" "$DIR/job.out" || fail "the job did not restart"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('test', r['test']); assert r['epochs'] == 3" "$RUN/results/results.json" \
  || fail "results.json is not a finished 3-epoch run"
echo "PASS: job $job requeued once, resumed from its checkpoint and finished ($RUN/results/results.json)"
