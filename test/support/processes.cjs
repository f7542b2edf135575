'use strict';
// The one module that owns child processes, ports and readiness waits, for everything that runs
// the built service (or another server) as a separate process: the system tests
// (test/system/service-process.ts), the load test (loadtest/), the resilience suite (resilience/)
// and the Prometheus end-to-end check (ops/e2e/). CommonJS, so that jest (TypeScript, CommonJS)
// and the .mjs harnesses load the same file; types in processes.d.cts.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(REPO_ROOT, 'dist');
const MAIN = path.join(DIST, 'main.js');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port on 127.0.0.1 that nothing listens on right now (chosen by the system). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** dist/main.js, built with `npm run build` first when it is missing. */
function ensureBuilt(log = console.error) {
  if (fs.existsSync(MAIN)) return MAIN;
  log('dist/main.js missing: running `npm run build`…');
  const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (res.status !== 0 || !fs.existsSync(MAIN)) throw new Error('`npm run build` failed');
  return MAIN;
}

/**
 * A module of the built service, e.g. compiled('database/embedded-postgres', ['startEmbeddedDatabase'])
 * (built first when dist/ is missing); fails naming the build when an export is missing (dist/ older than src/).
 */
function compiled(modulePath, exportsNeeded = [], log) {
  ensureBuilt(log);
  const loaded = require(path.join(DIST, `${modulePath}.js`));
  const missing = exportsNeeded.filter((name) => loaded[name] === undefined);
  if (missing.length) throw new Error(`dist/${modulePath}.js has no ${missing.join(', ')}: dist/ is older than src/, run \`npm run build\``);
  return loaded;
}

const exitedAlready = (child) => child.exitCode !== null || child.signalCode !== null;

/** Resolves with the exit code (null after a signal) once the child has exited. */
function exitOf(child) {
  if (exitedAlready(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** `signal` (SIGTERM), then SIGKILL if the child has not exited after `killAfterMs`; resolves with its exit code once it has. */
async function stopChild(child, killAfterMs = 15_000, signal = 'SIGTERM') {
  if (exitedAlready(child)) return child.exitCode;
  const exited = exitOf(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** HTTP status of GET `url`, or 0 when nothing answers within `timeoutMs`. */
async function httpStatus(url, timeoutMs = 1500) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** GET /health/ready → status code, or 0 when nothing answers. */
const readiness = (baseUrl) => httpStatus(`${baseUrl}/health/ready`);

/**
 * Waits until GET `url` answers 200; fails when `child` exits first (the message ends with
 * `why()`, e.g. its stderr) or after `timeoutMs`. Resolves with the time it became ready.
 */
async function waitFor200(url, { child, timeoutMs = 120_000, intervalMs = 100, why = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && exitedAlready(child)) {
      const said = why();
      throw new Error(`process ${child.pid} exited (${child.exitCode ?? child.signalCode}) before ${url} answered 200${said ? `:\n${said}` : ''}`);
    }
    if ((await httpStatus(url)) === 200) return Date.now();
    if (Date.now() > deadline) {
      const said = why();
      throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s${said ? `:\n${said}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until the service at `baseUrl` is ready (GET /health/ready is 200). */
const waitReady = (baseUrl, options) => waitFor200(`${baseUrl}/health/ready`, options);

/**
 * Spawns the built service (`node dist/main.js`, or `main`) on `port` (a free one when not given)
 * with exactly `env` (plus PORT): callers pass `{ ...process.env, ... }` to inherit. Output goes
 * to `logFile` (appended) when given, else it is kept: `lines` (stdout, line by line) and
 * `stderr()`. Does not wait for readiness: see startService.
 */
async function spawnService({ env, port, main, logFile, cwd = REPO_ROOT, log } = {}) {
  const entry = main ?? ensureBuilt(log);
  const listenPort = port ?? (await freePort());
  let out;
  if (logFile) {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    out = fs.openSync(logFile, 'a');
  }
  const child = spawn(process.execPath, [entry], {
    cwd,
    env: { ...env, PORT: String(listenPort) },
    stdio: ['ignore', out ?? 'pipe', out ?? 'pipe'],
  });
  if (out !== undefined) fs.closeSync(out);
  const lines = [];
  let stderr = '';
  if (!logFile) {
    let partial = '';
    child.stdout.on('data', (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  }
  const exited = exitOf(child);
  const baseUrl = `http://127.0.0.1:${listenPort}`;
  return {
    baseUrl,
    port: listenPort,
    pid: child.pid,
    child,
    lines,
    stderr: () => (logFile ? tail(logFile) : stderr),
    exited,
    get alive() {
      return !exitedAlready(child);
    },
    /** `signal` (SIGTERM), SIGKILL after `killAfterMs`; resolves with the exit code. */
    stop: (signal = 'SIGTERM', killAfterMs = 15_000) => stopChild(child, killAfterMs, signal),
    /** SIGKILL, resolved once the process is gone. */
    kill: () => stopChild(child, 0, 'SIGKILL'),
  };
}

function tail(file, chars = 4000) {
  try {
    return fs.readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** spawnService, then waits until it is ready (`readyTimeoutMs`); a service that never gets ready is stopped. */
async function startService(options = {}) {
  const service = await spawnService(options);
  options.onSpawn?.(service);
  try {
    await waitReady(service.baseUrl, { child: service.child, timeoutMs: options.readyTimeoutMs ?? 120_000, why: service.stderr });
  } catch (error) {
    await service.kill();
    throw error;
  }
  return service;
}

/** The built service run until it exits by itself (a start that must fail): exit code and output. */
async function runUntilExit({ env, main, cwd = REPO_ROOT } = {}) {
  const child = spawn(process.execPath, [main ?? ensureBuilt()], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  // 'close': the process has exited and its output has been read to the end.
  const code = await new Promise((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

module.exports = {
  REPO_ROOT,
  MAIN,
  sleep,
  freePort,
  ensureBuilt,
  compiled,
  exitOf,
  stopChild,
  httpStatus,
  readiness,
  waitFor200,
  waitReady,
  spawnService,
  startService,
  runUntilExit,
};
