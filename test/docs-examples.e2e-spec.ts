import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './helpers/test-app';

/** The runnable examples of the docs (docs/examples/*.mjs), against the real service: what the docs show is what it does. */
describe('docs examples run against the service', () => {
  let t: TestApp;

  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  function runExample(file: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(__dirname, '..', 'docs', 'examples', file)], {
        env: { ...process.env, BASE: t.base, ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  it('docs/examples/payer-authorizations.mjs (the README worked example) passes every check', async () => {
    const { code, output } = await runExample('payer-authorizations.mjs');
    expect({ code, failures: output.split('\n').filter((line) => line.startsWith('FAIL')) }).toEqual({ code: 0, failures: [] });
    expect(output).toContain('all checks passed');
  });
});
