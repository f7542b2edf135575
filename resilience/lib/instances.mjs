// Service instances as child processes (`node dist/main.js`) on a fixed port each, so that
// an instance killed with SIGKILL (fault c) comes back at the same address.
// Processes, ports and readiness waits: test/support/processes.cjs, shared with the system tests and the load test.
import fs from 'node:fs';
import path from 'node:path';
import { ensureBuilt, freePort, readiness, REPO_ROOT, sleep, spawnService, waitReady } from '../../test/support/processes.cjs';
import { onCleanup } from '../../loadtest/lib/cleanup.mjs';

export { ensureBuilt, readiness, REPO_ROOT, waitReady };

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
      this.port = await freePort();
      this.baseUrl = `http://127.0.0.1:${this.port}`;
    }
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    fs.appendFileSync(this.logFile, `\n==== ${new Date().toISOString()} start #${this.starts + 1} of instance ${this.name} on port ${this.port}\n`);
    this.process = await spawnService({ main: mainJs, env: { ...process.env, ...this.env }, port: this.port, logFile: this.logFile });
    this.child = this.process.child;
    this.starts++;
    await waitReady(this.baseUrl, { child: this.child });
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
    if (!this.process || !this.alive) return;
    await this.process.kill();
    this.kills++;
  }

  /** SIGTERM (then SIGKILL after 15 s). */
  async stop() {
    if (!this.process || !this.alive) return;
    await this.process.stop('SIGTERM', 15000);
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
