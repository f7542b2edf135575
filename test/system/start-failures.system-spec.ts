import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/shared/free-port';
import { runUntilExit, startService, systemDatabase } from './service-process';

/**
 * A start that fails says what failed and what to do, on stderr, and exits 1 — never a bare
 * "Failed to start: undefined".
 */
describe('a start that fails says what failed and what to do', () => {
  it('data directory in use by another instance: names the process, DATA_DIR and DATABASE_URL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'unit-ledger-in-use-'));
    // Reachable by the `postgres` user, so the data stays in DATA_DIR even when the test runs as root.
    chmodSync(dataDir, 0o755);
    const first = await startService({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    try {
      const second = await runUntilExit({ DATA_DIR: dataDir, PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`^The embedded database in ${dataDir}/pg is in use by PostgreSQL process \\d+ for process ${first.child.pid} \\(.*dist/main\\.js\\)`));
      expect(second.stderr).toContain('Stop that process, or give this one a data directory of its own (DATA_DIR');
      expect(second.stderr).toContain('(DATABASE_URL)');
      expect(second.stderr + second.stdout).not.toContain('undefined');
      // The first instance is untouched.
      expect((await fetch(`${first.base}/health/ready`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('port in use: names the port and PORT', async () => {
    const port = await freePort();
    const taken: Server = await new Promise((resolve) => {
      const server = createServer().listen(port, () => resolve(server));
    });
    try {
      const run = await runUntilExit({ DATABASE_URL: await systemDatabase(), PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(`Port ${port} is already in use by another process (another instance of this service?). Stop it, or set PORT to a free port.`);
    } finally {
      taken.close();
    }
  });

  it('database unreachable: names the address and DATABASE_URL', async () => {
    const port = await freePort();
    const run = await runUntilExit({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/unit_ledger`, PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Cannot use the database at 127.0.0.1:${port}/unit_ledger (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${port}. ` +
        'Check that PostgreSQL runs there and that DATABASE_URL (user, password, database) is right, or unset DATABASE_URL to use the embedded database.',
    );
  });

  it('bad configuration: every bad variable named, nothing started', async () => {
    const run = await runUntilExit({ PORT: 'eighty', RETRY_MAX_ATTEMPTS: '0' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'Invalid configuration:\n  - RETRY_MAX_ATTEMPTS must be an integer from 1 to 50 (got "0")\n  - PORT must be an integer from 1 to 65535 (got "eighty")',
    );
  });
});
