import { httpClient } from '../helpers/http';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../helpers/test-app';
import { createAuthorization, createOrg, PASSWORD } from '../helpers/world';
import { lineMatching, startService, systemDatabase } from './service-process';

describe('structured logs', () => {
  it('one JSON line per request with request id, route template, status, duration, user and organization; never secrets or bodies', async () => {
    const service = await startService({ DATABASE_URL: await systemDatabase() });
    try {
      const request = httpClient(service.base);
      const login = await request('POST', '/api/v1/auth/login', { body: { email: ROOT_EMAIL, password: ROOT_PASSWORD }, headers: { 'x-request-id': 'login-req-1' } });
      expect(login.status).toBe(200);
      expect(login.headers.get('x-request-id')).toBe('login-req-1');
      const root = login.body.accessToken as string;
      const org = await createOrg(request, root);
      const auth = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 10 });
      const reserve = await request('POST', `/api/v1/authorizations/${auth.id}/reservations`, {
        token: org.tokens.PRACTITIONER,
        body: { units: 2, reference: 'appointment-ref-secretive' },
        headers: { 'idempotency-key': 'idem-key-log-test' },
      });
      expect(reserve.status).toBe(201);
      const generatedId = reserve.headers.get('x-request-id');
      expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
      const entryOf = async (requestId: string) => JSON.parse(await lineMatching(service, (l) => l.startsWith('{') && JSON.parse(l).requestId === requestId));

      const loginLine = await entryOf('login-req-1');
      expect(loginLine).toMatchObject({ msg: 'request', method: 'POST', route: '/api/v1/auth/login', status: 200, userId: null, organizationId: null });
      expect(typeof loginLine.durationMs).toBe('number');
      const reserveLine = await entryOf(generatedId!);
      expect(reserveLine).toMatchObject({
        msg: 'request',
        method: 'POST',
        route: '/api/v1/authorizations/:id/reservations',
        status: 201,
        userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId: org.id,
      });

      const all = service.lines.join('\n');
      for (const secret of [ROOT_PASSWORD, PASSWORD, root, org.tokens.PRACTITIONER, 'appointment-ref-secretive', auth.id, 'idem-key-log-test']) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await service.stop('SIGINT');
    }
  });
});
