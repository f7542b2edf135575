import { freePort } from '../../src/shared/free-port';
import { lineMatching, runUntilExit, ServiceProcess, startService, systemDatabase } from './service-process';

const METRICS_MESSAGE = 'METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)';

/** The start-up log line's message, from the service's JSON log lines; waits for the output that brings it. */
async function listeningLine(service: ServiceProcess): Promise<string> {
  const messageOf = (line: string) => (line.startsWith('{') ? (JSON.parse(line).msg as string) : '');
  return messageOf(await lineMatching(service, (line) => messageOf(line).startsWith('Unit Ledger listening on')));
}
const portOf = (service: ServiceProcess) => new URL(service.base).port;

describe('production defaults, as the built service starts', () => {
  it('NODE_ENV=production without METRICS_TOKEN or METRICS_PUBLIC=true: exits 1 naming METRICS_TOKEN, nothing started', async () => {
    const run = await runUntilExit({ NODE_ENV: 'production', PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`Invalid configuration:\n  - ${METRICS_MESSAGE}`);
  });

  it('NODE_ENV=production with METRICS_PUBLIC=true starts, /metrics open; HOST=127.0.0.1: the log line names that address, no docs', async () => {
    const service = await startService({ NODE_ENV: 'production', METRICS_PUBLIC: 'true', HOST: '127.0.0.1', DATABASE_URL: await systemDatabase() });
    try {
      expect(await listeningLine(service)).toBe(`Unit Ledger listening on http://127.0.0.1:${portOf(service)} (API /api/v1)`);
      expect((await fetch(`${service.base}/metrics`)).status).toBe(200);
      expect((await fetch(`${service.base}/api/docs`)).status).toBe(404);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('HOST that is no address of this machine: exits 1 naming HOST', async () => {
    // 192.0.2.1: TEST-NET-1 (RFC 5737), never an address of this machine; nothing is sent there.
    const port = await freePort();
    const run = await runUntilExit({ HOST: '192.0.2.1', DATABASE_URL: await systemDatabase(), PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Cannot listen on 192.0.2.1 (HOST): listen EADDRNOTAVAIL: address not available 192.0.2.1:${port}. ` +
        'Set HOST to an address of this machine, or unset it to listen on all interfaces.',
    );
  });

  it('HOST unset: listens on all interfaces and says so', async () => {
    const service = await startService({ DATABASE_URL: await systemDatabase() });
    try {
      // [::] where the host has IPv6, 0.0.0.0 where it has not: Node's default either way.
      expect(await listeningLine(service)).toMatch(new RegExp(`^Unit Ledger listening on http://(\\[::\\]|0\\.0\\.0\\.0):${portOf(service)} \\(all interfaces\\) \\(API /api/v1, docs /api/docs\\)$`));
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
