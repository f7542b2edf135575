// Service instances as child processes (`node dist/main.js`) on a fixed port each, so that
// an instance killed with SIGKILL (fault c) comes back at the same address.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../loadtest/lib/ports.mjs';
import { onCleanup } from '../../loadtest/lib/cleanup.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureBuilt(log = console.error) {
  const main = path.join(REPO_ROOT, 'dist', 'main.js');
  if (fs.existsSync(main)) return main;
  log('dist/main.js missing: running `npx nest build`…');
  const res = spawnSync('npx', ['nest', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (res.status !== 0 || !fs.existsSync(main)) throw new Error('`nest build` failed');
  return main;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Copies dist/ (once no file in it changed for 3 s: another build may be running) to
 * `dest`/dist and returns the copy's main.js, so that a rebuild during the run cannot break
 * the restarts of fault c. Modules still resolve from the repository's node_modules.
 */
export async function snapshotDist(dest, log = console.error) {
  ensureBuilt(log);
  const dist = path.join(REPO_ROOT, 'dist');
  for (let i = 0; i < 120; i++) {
    if (fs.existsSync(path.join(dist, 'main.js')) && Date.now() - newestMtime(dist) > 3000) break;
    if (i === 0) log('dist/ is being written (a build is running?): waiting until it is stable…');
    await sleep(1000);
  }
  const copy = path.join(dest, 'dist');
  fs.cpSync(dist, copy, { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('.tsbuildinfo') });
  onCleanup('dist snapshot', () => fs.rmSync(copy, { recursive: true, force: true }));
  return path.join(copy, 'main.js');
}

/** GET /health/ready → status code, or 0 when nothing answers (1 s timeout). */
export async function readiness(baseUrl) {
  try {
    const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1500) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export async function waitReady(baseUrl, { timeoutMs = 120000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`service exited (${child.exitCode ?? child.signalCode}) before becoming ready`);
    }
    if ((await readiness(baseUrl)) === 200) return Date.now();
    await sleep(100);
  }
  throw new Error(`service at ${baseUrl} not ready after ${timeoutMs / 1000}s`);
}

/**
 * One service instance. start() spawns it and waits for readiness; kill() sends SIGKILL;
 * stop() SIGTERM (then SIGKILL after 15 s). The log of every incarnation is appended to logFile.
 */
export class ServiceInstance {
  constructor({ name, env, logDir, mainJs }) {
    this.name = name;
    this.mainJs = mainJs;
    this.env = env;
    this.logFile = path.join(logDir, `service-${name}.log`);
    this.child = null;
    this.port = null;
    this.baseUrl = null;
    this.starts = 0;
    this.kills = 0;
    onCleanup(`service ${name}`, () => this.stop());
  }

  async start() {
    const mainJs = this.mainJs ?? ensureBuilt();
    if (!this.port) {
      this.port = await findFreePort(3300 + Math.floor(Math.random() * 200));
      this.baseUrl = `http://127.0.0.1:${this.port}`;
    }
    await fsp.mkdir(path.dirname(this.logFile), { recursive: true });
    const out = fs.openSync(this.logFile, 'a');
    fs.writeSync(out, `\n==== ${new Date().toISOString()} start #${this.starts + 1} of instance ${this.name} on port ${this.port}\n`);
    const child = spawn(process.execPath, [mainJs], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.child = child;
    this.starts++;
    await waitReady(this.baseUrl, { child });
    return this;
  }

  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid() {
    return this.child?.pid;
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill() {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }

  async stop() {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  }

  /** Lines of this instance's log matching a regexp. */
  grepLog(re) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').filter((l) => re.test(l));
    } catch {
      return [];
    }
  }
}
