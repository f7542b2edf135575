#!/usr/bin/env bash
# Issue 10.1: as root, a clone in a directory other users cannot enter (root's home, `mktemp -d`)
# must still `npm start` (the embedded PostgreSQL runs as the `postgres` user) and `npm test`.
# A fresh clone of this repository's HEAD into a new 0700 directory; `npm start` until
# /health/ready answers 200, then SIGTERM and a clean exit; then `npm test` on one e2e file.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "skipped: needs root (the failure it guards against happens only as root)"; exit 0; }

WORK="$(mktemp -d)"   # mode 0700
SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill -9 "$SERVICE_PID" 2>/dev/null || true
  [ -n "${DATA_LOCATION:-}" ] && rm -rf "$(dirname "$DATA_LOCATION")"
  rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(stat -c %a "$WORK")" = 700 ] || { echo "FAIL: $WORK is not 0700"; exit 1; }

git clone -q "$REPO" "$WORK/clone"
cd "$WORK/clone"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
PORT="$PORT" LOG_LEVEL=log npm start >"$WORK/start.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 600); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/health/ready" && break
  kill -0 "$SERVICE_PID" 2>/dev/null || { echo "FAIL: npm start exited:"; tail -20 "$WORK/start.log"; exit 1; }
  sleep 0.2
done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/health/ready" || { echo "FAIL: not ready after 120 s:"; tail -20 "$WORK/start.log"; exit 1; }
DATA_LOCATION="$(grep -o 'Embedded PostgreSQL running, data in [^ ]*' "$WORK/start.log" | awk '{print $NF}')"
case "$DATA_LOCATION" in
  /var/lib/unit-ledger/data-*/pg) echo "npm start: ready; data in $DATA_LOCATION (the clone's .data is out of the postgres user's reach)" ;;
  *) echo "FAIL: data location '$DATA_LOCATION' (expected under /var/lib/unit-ledger)"; exit 1 ;;
esac
# npm start runs the service as its grandchild (npm → sh → node): signal the service itself, as
# an orchestrator would; npm then exits with the service's code.
NODE_PID=""
for pid in $(pgrep -f '^node dist/main.js$'); do
  [ "$(readlink "/proc/$pid/cwd")" = "$WORK/clone" ] && NODE_PID="$pid"
done
[ -n "$NODE_PID" ] || { echo "FAIL: no service process under $WORK/clone"; exit 1; }
kill -TERM "$NODE_PID"
CODE=0
wait "$SERVICE_PID" || CODE=$?
SERVICE_PID=""
[ "$CODE" = 0 ] || { echo "FAIL: npm start exited with $CODE after SIGTERM"; tail -20 "$WORK/start.log"; exit 1; }
echo "npm start: stopped cleanly on SIGTERM"

npm test -- test/probes-and-metrics.e2e-spec.ts
echo "root in a closed directory: npm start and npm test pass"
