#!/usr/bin/env bash
# The Dockerfile's runtime stage, proven without a Docker engine.
#
# The runtime stage is: production dependencies only (`npm ci --omit=dev`) + the built dist/,
# run by a non-root user that cannot write to the application directory, as PID 1. This script
# builds exactly that in a fresh temporary directory and checks that it
#
#   1. installs with `npm ci --omit=dev` from package.json + package-lock.json alone, and no
#      development dependency (typescript, jest, @nestjs/cli, ...) ends up in node_modules;
#   2. production mode: with NODE_ENV=production, JWT_SECRET and DATABASE_URL set (a fresh database
#      created for the run and dropped after), started as an unprivileged user, as PID 1 of its
#      own PID namespace when `unshare` is allowed, it migrates, answers 200 on /health/live,
#      /health/ready and /metrics, and wrote nothing in the application directory;
#   3. on SIGTERM, /health/ready turns 503 at once while /health/live still answers, and the
#      process exits 0 after SHUTDOWN_GRACE_MS (a PID 1 that ignored SIGTERM would be killed by
#      the kubelet only after terminationGracePeriodSeconds);
#   4. embedded mode (DATABASE_URL unset, as `npm start` on a workstation): the embedded
#      PostgreSQL shipped in the production dependencies starts and /health/ready is 200.
#      Skip with PREMISE_EMBEDDED=0 (or when PREMISE_NPM_CI_EXTRA_FLAGS omits optional packages).
#
# Usage (from anywhere; CI runs it as root, in about a minute):
#   deploy/runtime-premise.sh
# Environment:
#   PREMISE_ADMIN_DATABASE_URL  server for the production run (default postgres://postgres@127.0.0.1:5432/postgres);
#                               when it is not reachable, a throwaway embedded PostgreSQL is started instead
#   PREMISE_USE_DIST=1          copy the repository's dist/ (after `npm run build`) instead of building into the copy
#   PREMISE_EMBEDDED=0          skip check 4
#   PREMISE_NPM_CI_EXTRA_FLAGS  extra flags for the production `npm ci` (as the Dockerfile's NPM_CI_EXTRA_FLAGS)
#   PREMISE_GRACE_MS            SHUTDOWN_GRACE_MS for the run (default 3000, to keep CI short)
#   PREMISE_PID1=0              do not run the service as PID 1 of its own PID namespace
#   PREMISE_KEEP=1              keep the temporary directory
#   CI=true                     a check that cannot run fails (today: the development-dependency check)
# Exit status 0 and a final "PASS" line, or 1 and "FAIL: <reason>".
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADMIN_URL="${PREMISE_ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
EXTRA_FLAGS="${PREMISE_NPM_CI_EXTRA_FLAGS:-}"
RUN_EMBEDDED="${PREMISE_EMBEDDED:-1}"
case " $EXTRA_FLAGS " in *" --omit=optional "*|*" --omit optional "*) RUN_EMBEDDED=0 ;; esac
START_TIMEOUT_S=90
GRACE_MS="${PREMISE_GRACE_MS:-3000}"   # SHUTDOWN_GRACE_MS for the run (the pods use 10000)
STOP_TIMEOUT_S=$((GRACE_MS / 1000 + 15))   # grace + close, well below terminationGracePeriodSeconds

STARTED_AT=$SECONDS
WORK=""
SERVICE_PID=""
WRAPPER_PID=""
DB_HELPER_PID=""
DB_NAME=""
DB_ADMIN_URL_USED=""

SKIPPED=()

log() { printf '[runtime-premise %3ss] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
# CI=true (or 1/yes): a check that cannot run fails instead of being skipped.
in_ci() { local v="${CI:-}"; [[ "${v,,}" =~ ^(1|true|yes)$ ]]; }
fail() {
  log "FAIL: $*"
  if [[ -n "$WORK" && -f "$WORK/service.log" ]]; then
    log "last lines of the service log:"
    tail -n 40 "$WORK/service.log" | sed 's/^/    /'
  fi
  echo "FAIL: $*"
  exit 1
}

stop_pid() { # pid, signal: signal one process we started, then wait for it
  local pid="$1" sig="${2:-TERM}"
  [[ -n "$pid" ]] || return 0
  kill -s "$sig" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  [[ -n "$SERVICE_PID" ]] && kill -s KILL "$SERVICE_PID" 2>/dev/null
  [[ -n "$WRAPPER_PID" ]] && stop_pid "$WRAPPER_PID" KILL
  if [[ -n "$DB_NAME" && -n "$DB_ADMIN_URL_USED" ]]; then
    (cd "$WORK/app" && ADMIN_URL="$DB_ADMIN_URL_USED" DB_NAME="$DB_NAME" node -e '
      const { Client } = require("pg");
      const c = new Client({ connectionString: process.env.ADMIN_URL });
      c.connect()
        .then(() => c.query(`drop database if exists ${process.env.DB_NAME} with (force)`))
        .catch((e) => console.error("could not drop", process.env.DB_NAME, e.message))
        .finally(() => c.end());
    ') && log "dropped database $DB_NAME"
  fi
  [[ -n "$DB_HELPER_PID" ]] && stop_pid "$DB_HELPER_PID" TERM
  if [[ -n "$WORK" ]]; then
    if [[ "${PREMISE_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $status
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# GET url → prints the status code (000 when nothing answers).
http_status() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(3000), headers: process.argv[2] ? { authorization: process.argv[2] } : {} })
      .then((r) => console.log(r.status), () => console.log("000"))' "$1" "${2:-}"
}

# wait_ready port pid: until /health/ready is 200, the process dies, or the timeout passes.
wait_ready() {
  local port="$1" pid="$2" deadline=$((SECONDS + START_TIMEOUT_S)) status
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || fail "the service exited before it was ready"
    status="$(http_status "http://127.0.0.1:$port/health/ready")"
    [[ "$status" == 200 ]] && return 0
    sleep 0.5
  done
  fail "/health/ready did not answer 200 within ${START_TIMEOUT_S}s (last status $status)"
}

expect_status() { # url expected [authorization]
  local got
  got="$(http_status "$1" "${3:-}")"
  [[ "$got" == "$2" ]] || fail "GET $1 answered $got, expected $2"
  log "GET ${1#http://127.0.0.1:*/} → $got"
}

# ------------------------------------------------------------------------------------------------
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"
log "node $(node --version), npm $(npm --version), running as uid $(id -u)"

# Not mktemp -d: its 0700 mode would keep out the unprivileged user the service runs as.
WORK="/tmp/unit-ledger-runtime-premise-$(node -e 'console.log(require("crypto").randomBytes(6).toString("hex"))')"
mkdir -m 0755 "$WORK"
APP="$WORK/app"
mkdir -m 0755 "$APP"
cp "$REPO/package.json" "$REPO/package-lock.json" "$APP/"

if [[ "${PREMISE_USE_DIST:-0}" == 1 ]]; then
  [[ -f "$REPO/dist/main.js" ]] || fail "$REPO/dist/main.js missing (run npm run build first)"
  cp -R "$REPO/dist" "$APP/dist"
  log "copied the repository's dist/ (PREMISE_USE_DIST=1)"
else
  # The build script's command (`nest build`, package.json) with the output in the clean copy:
  # the repository's own dist/ is left alone, so a concurrent build or run there cannot race
  # with this one. Spec files are left out, as .dockerignore leaves them out of the image.
  cat >"$WORK/tsconfig.build.json" <<JSON
{
  "extends": "$REPO/tsconfig.json",
  "compilerOptions": { "outDir": "$APP/dist", "rootDir": "$REPO/src", "baseUrl": "$REPO" },
  "include": ["$REPO/src/**/*.ts"],
  "exclude": ["$REPO/src/**/*.spec.ts"]
}
JSON
  log "nest build (the build script) from $REPO/src into the clean copy"
  (cd "$REPO" && npx --no-install nest build --path "$(realpath --relative-to="$REPO" "$WORK/tsconfig.build.json")" >"$WORK/build.log" 2>&1) \
    || { tail -n 30 "$WORK/build.log"; fail "nest build failed"; }
fi
find "$APP/dist" \( -name '*.spec.js' -o -name '*.spec.js.map' \) -delete
# Every module of src/ has its compiled counterpart (catches a dist/ copied mid-build).
MISSING="$(cd "$REPO/src" && find . -name '*.ts' ! -name '*.spec.ts' ! -name '*.d.ts' | sed 's/\.ts$/.js/' | while read -r f; do [[ -f "$APP/dist/$f" ]] || echo "$f"; done | head -n 5)"
[[ -z "$MISSING" ]] || fail "dist/ is incomplete (a build running at the same time?): $MISSING"
log "clean copy in $APP: package.json, package-lock.json, dist/ ($(find "$APP/dist" -name '*.js' | wc -l) modules)"

# 1. Production dependencies only ------------------------------------------------------------------
log "npm ci --omit=dev --no-audit --no-fund $EXTRA_FLAGS"
# shellcheck disable=SC2086
(cd "$APP" && SCARF_ANALYTICS=false DO_NOT_TRACK=1 npm ci --omit=dev --no-audit --no-fund $EXTRA_FLAGS >"$WORK/npm-ci.log" 2>&1) \
  || { tail -n 30 "$WORK/npm-ci.log"; fail "npm ci --omit=dev failed"; }
# Every package the lockfile marks `dev` (needed only for building and testing) must be absent.
# The check must be able to see: a lockfile with `packages` (v2+) marking at least 10 packages dev,
# typescript and jest (build and test tools) among them, and every production dependency of
# package.json present where it looks (node_modules/<name>), or a leak could hide in a place it does
# not look. When it cannot check, that FAILS under CI=true and is a printed SKIP elsewhere.
# Prints one line: "OK <count>", "LEAK <names>" or "CANNOT <reason>".
DEV_CHECK="$(cd "$APP" && node -e '
  const fs = require("fs");
  const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  const cannot = (why) => { console.log(`CANNOT ${why}`); process.exit(0); };
  if (!lock.packages) cannot(`package-lock.json (lockfileVersion ${lock.lockfileVersion}) has no "packages" section`);
  const dev = Object.entries(lock.packages).filter(([path, meta]) => path && meta.dev);
  if (dev.length < 10) cannot(`the lockfile marks ${dev.length} packages dev (fewer than 10)`);
  for (const anchor of ["typescript", "jest"]) {
    if (!lock.packages[`node_modules/${anchor}`]?.dev) cannot(`the lockfile does not mark ${anchor} dev`);
  }
  const prodMissing = Object.keys(pkg.dependencies ?? {}).filter((name) => !fs.existsSync(`node_modules/${name}/package.json`));
  if (prodMissing.length) cannot(`production dependencies not found where the check looks (node_modules/<name>): ${prodMissing.slice(0, 5).join(" ")}`);
  const present = dev.filter(([path]) => fs.existsSync(`${path}/package.json`)).map(([path]) => path.replace(/^.*node_modules\//, ""));
  console.log(present.length ? `LEAK ${present.slice(0, 10).join(" ")}` : `OK ${dev.length}`);' 2>&1)" \
  || DEV_CHECK="CANNOT the check itself failed: $(tail -n 3 <<<"$DEV_CHECK")"
case "$DEV_CHECK" in
  OK\ *)
    log "production dependencies installed ($(du -sm "$APP/node_modules" | cut -f1) MB), none of the ${DEV_CHECK#OK } packages the lockfile marks dev is present" ;;
  LEAK\ *)
    fail "development dependencies installed by npm ci --omit=dev: ${DEV_CHECK#LEAK }" ;;
  *)
    if in_ci; then fail "CI=true: could not check that no development dependency is installed: ${DEV_CHECK#CANNOT }"; fi
    SKIPPED+=("development dependencies: ${DEV_CHECK#CANNOT }")
    log "SKIP (CI is not set): development dependencies NOT CHECKED: ${DEV_CHECK#CANNOT }" ;;
esac
chmod -R a+rX,go-w "$APP"

# The service runs as an unprivileged user (the image: uid 1000 `node`; here: nobody), from a
# directory it cannot write to, as PID 1 of a fresh PID namespace when possible.
RUN_AS=()
if [[ "$(id -u)" == 0 ]]; then
  command -v setpriv >/dev/null || fail "running as root but setpriv is missing (util-linux)"
  RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  log "the service will run as uid 65534 (nobody); the application directory belongs to root"
else
  log "not root: the service runs as uid $(id -u) (the non-root premise is exercised only under root)"
fi
PID1=()
if [[ "${PREMISE_PID1:-1}" == 1 && "$(id -u)" == 0 ]] && command -v unshare >/dev/null && unshare --pid --fork --kill-child true 2>/dev/null; then
  PID1=(unshare --pid --fork --kill-child --)
  log "the service will be PID 1 of its own PID namespace, as in a container"
else
  log "unshare --pid not available: the service runs as an ordinary child process (PID 1 behaviour not checked)"
fi

expect_clean_exit() { # what [hint]: the service, sent SIGTERM at T0, must exit 0 within STOP_TIMEOUT_S
  while kill -0 "$SERVICE_PID" 2>/dev/null && ((SECONDS - T0 < STOP_TIMEOUT_S)); do sleep 0.2; done
  if kill -0 "$SERVICE_PID" 2>/dev/null; then fail "$1: still running ${STOP_TIMEOUT_S}s after SIGTERM${2:+ ($2)}"; fi
  local status=0
  wait "$WRAPPER_PID" 2>/dev/null || status=$?
  SERVICE_PID=""
  WRAPPER_PID=""
  [[ "$status" == 0 ]] || fail "$1: exit status $status after SIGTERM, expected 0"
}

# start_service <log name> <env...>: starts node dist/main.js; sets SERVICE_PID (node) and WRAPPER_PID.
start_service() {
  local logname="$1"; shift
  : >"$WORK/$logname"
  (cd "$APP" && exec env -i PATH="$PATH" HOME=/nonexistent "$@" "${PID1[@]}" "${RUN_AS[@]}" node dist/main.js) \
    >>"$WORK/$logname" 2>&1 &
  WRAPPER_PID=$!
  SERVICE_PID="$WRAPPER_PID"
  if ((${#PID1[@]})); then
    # unshare forks: node (after setpriv's exec) is its only child.
    local i
    for i in $(seq 1 50); do
      SERVICE_PID="$(cat "/proc/$WRAPPER_PID/task/$WRAPPER_PID/children" 2>/dev/null | awk '{print $1}')"
      [[ -n "$SERVICE_PID" ]] && break
      sleep 0.1
    done
    [[ -n "$SERVICE_PID" ]] || fail "could not find the service process under unshare"
  fi
  ln -sf "$WORK/$logname" "$WORK/service.log"
}

# 2. Production mode -------------------------------------------------------------------------------
DB_ADMIN_URL_USED="$ADMIN_URL"
if ! (cd "$APP" && ADMIN_URL="$ADMIN_URL" node -e '
    const { Client } = require("pg");
    const c = new Client({ connectionString: process.env.ADMIN_URL, connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.end(), () => process.exit(1));'); then
  log "no PostgreSQL at $ADMIN_URL: starting a throwaway one (the service's embedded-PostgreSQL module, from the clean copy)"
  (cd "$APP" && exec node -e '
    const { startEmbeddedDatabase } = require("./dist/database/embedded-postgres.js");
    startEmbeddedDatabase({ password: "premise", durable: false, ownSignals: true }).then((db) => {
      console.log(`READY ${db.adminUrl}`);
      const stop = () => db.close().finally(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      setInterval(() => undefined, 1 << 30);
    }, (error) => { console.error(error?.message ?? error); process.exit(1); });
  ') >"$WORK/postgres.log" 2>&1 &
  DB_HELPER_PID=$!
  for _ in $(seq 1 120); do
    grep -q '^READY ' "$WORK/postgres.log" && break
    kill -0 "$DB_HELPER_PID" 2>/dev/null || { cat "$WORK/postgres.log"; fail "the throwaway PostgreSQL did not start"; }
    sleep 0.5
  done
  grep -q '^READY ' "$WORK/postgres.log" || fail "the throwaway PostgreSQL did not start within 60s"
  DB_ADMIN_URL_USED="$(sed -n 's/^READY //p' "$WORK/postgres.log")"
fi

DB_NAME="ul_runtime_premise_$(node -e 'console.log(require("crypto").randomBytes(5).toString("hex"))')"
DATABASE_URL="$(cd "$APP" && ADMIN_URL="$DB_ADMIN_URL_USED" DB_NAME="$DB_NAME" node -e '
  const { Client } = require("pg");
  const c = new Client({ connectionString: process.env.ADMIN_URL });
  c.connect()
    .then(() => c.query(`create database ${process.env.DB_NAME}`))
    .then(() => { const u = new URL(process.env.ADMIN_URL); u.pathname = "/" + process.env.DB_NAME; console.log(u.toString()); })
    .catch((e) => { console.error(e.message); process.exitCode = 1; })
    .finally(() => c.end());')" || fail "could not create database $DB_NAME"
log "created database $DB_NAME on ${DB_ADMIN_URL_USED%%/postgres}"

PORT="$(free_port)"
JWT_SECRET="$(node -e 'console.log(require("crypto").randomBytes(48).toString("base64"))')"
METRICS_TOKEN="premise-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
touch "$WORK/before-start"
sleep 1   # file times have a coarse resolution on some filesystems
log "production mode: NODE_ENV=production, DATABASE_URL=<$DB_NAME>, JWT_SECRET, METRICS_TOKEN, PORT=$PORT, SHUTDOWN_GRACE_MS=$GRACE_MS"
start_service production.log NODE_ENV=production PORT="$PORT" DATABASE_URL="$DATABASE_URL" \
  JWT_SECRET="$JWT_SECRET" METRICS_TOKEN="$METRICS_TOKEN" SHUTDOWN_GRACE_MS="$GRACE_MS" LOG_LEVEL=log
T0=$SECONDS
wait_ready "$PORT" "$SERVICE_PID"
log "/health/ready → 200 after $((SECONDS - T0))s (migrations applied)"
expect_status "http://127.0.0.1:$PORT/health/live" 200
expect_status "http://127.0.0.1:$PORT/metrics" 401
expect_status "http://127.0.0.1:$PORT/metrics" 200 "Bearer $METRICS_TOKEN"
expect_status "http://127.0.0.1:$PORT/api/v1/auth/me" 401
RSS_MB=$(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVICE_PID/status") / 1024 ))
log "resident memory after start: ${RSS_MB} MB"

WRITTEN="$(find "$APP" -newer "$WORK/before-start" -print | head -n 5)"
[[ -z "$WRITTEN" ]] || fail "the service wrote into the application directory: $WRITTEN"
log "nothing written under the application directory (read-only root filesystem is possible)"

# 3. SIGTERM ------------------------------------------------------------------------------------
# The pod's shutdown sequence (src/main.ts): readiness 503 at once, requests still served for
# SHUTDOWN_GRACE_MS (here PREMISE_GRACE_MS), then close and exit 0 — also as PID 1, where a
# signal without a handler would be ignored.
T0=$SECONDS
kill -s TERM "$SERVICE_PID"
sleep 0.5
expect_status "http://127.0.0.1:$PORT/health/ready" 503
expect_status "http://127.0.0.1:$PORT/health/live" 200
log "during the grace period: not ready, still serving"
expect_clean_exit "production mode" "PID 1 of its namespace: $((${#PID1[@]} > 0))"
log "exited 0, $((SECONDS - T0))s after SIGTERM (SHUTDOWN_GRACE_MS=$GRACE_MS)"

# 4. Embedded mode ---------------------------------------------------------------------------------
if [[ "$RUN_EMBEDDED" == 1 ]]; then
  DATA_DIR="$WORK/data"
  mkdir -m 0755 "$DATA_DIR"
  [[ "$(id -u)" == 0 ]] && chown 65534:65534 "$DATA_DIR"
  PORT="$(free_port)"
  log "embedded mode: DATABASE_URL unset, DATA_DIR=$DATA_DIR, PORT=$PORT"
  start_service embedded.log PORT="$PORT" DATA_DIR="$DATA_DIR" SHUTDOWN_GRACE_MS=0 LOG_LEVEL=log
  sleep 1
  if ! kill -0 "$SERVICE_PID" 2>/dev/null && grep -q 'groupadd' "$WORK/embedded.log"; then
    fail "embedded mode as a non-root user: embedded-postgres is started with createPostgresUser: true, which works only as root (src/database/embedded-postgres.ts: createPostgresUser: process.getuid?.() === 0)"
  fi
  wait_ready "$PORT" "$SERVICE_PID"
  log "/health/ready → 200 (embedded PostgreSQL from the production dependencies)"
  kill -s TERM "$SERVICE_PID"
  T0=$SECONDS
  expect_clean_exit "embedded mode"
  log "embedded mode: exited 0, $((SECONDS - T0))s after SIGTERM (embedded PostgreSQL stopped with it)"
else
  log "embedded mode skipped"
fi

log "PASS in $((SECONDS - STARTED_AT))s"
for skipped in "${SKIPPED[@]}"; do log "NOT CHECKED (CI is not set): $skipped"; done
echo "PASS: npm ci --omit=dev + dist/ starts the service and answers /health/ready${SKIPPED[*]:+ (with ${#SKIPPED[@]} check(s) NOT CHECKED, see above)}"
