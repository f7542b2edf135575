// The service's HTTP API as used by the harness (SPEC §5).
export class ApiError extends Error {
  constructor(what, res) {
    super(`${what} failed: HTTP ${res.status}${res.code ? ` ${res.code}` : ''}${res.error ? ` ${res.error}` : ''} ${typeof res.body === 'object' ? JSON.stringify(res.body) : String(res.body ?? '').slice(0, 300)}`);
    this.res = res;
  }
}

function expect(res, status, what) {
  if (res.status !== status) throw new ApiError(what, res);
  return res.body;
}

export function createApi(http) {
  const r = http.request;
  return {
    http,
    async login(email, password) {
      const body = expect(await r('POST', '/api/v1/auth/login', { body: { email, password } }), 200, `login ${email}`);
      return body.accessToken;
    },
    async createOrganization(token, name) {
      return expect(await r('POST', '/api/v1/organizations', { token, body: { name } }), 201, `create organization ${name}`);
    },
    async createUser(token, user) {
      return expect(await r('POST', '/api/v1/users', { token, body: user }), 201, `create user ${user.email}`);
    },
    async createAuthorization(token, auth) {
      return expect(await r('POST', '/api/v1/authorizations', { token, body: auth }), 201, `create authorization ${auth.authNumber}`);
    },
    async getAuthorization(token, id) {
      return expect(await r('GET', `/api/v1/authorizations/${id}`, { token }), 200, `get authorization ${id}`);
    },
    /** All ledger entries, oldest first, following nextCursor. */
    async getLedger(token, id) {
      const items = [];
      let cursor = null;
      for (let page = 0; page < 100000; page++) {
        const qs = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = expect(await r('GET', `/api/v1/authorizations/${id}/ledger?${qs}`, { token }), 200, `ledger of ${id}`);
        items.push(...body.items);
        if (!body.nextCursor) return items;
        cursor = body.nextCursor;
      }
      throw new Error(`ledger of ${id}: too many pages`);
    },
    // Unit operations return the raw response: the caller classifies the outcome.
    reserve: (token, authorizationId, units) => r('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token, body: { units } }),
    /** SPEC §10 scheduling by patient: the service picks the authorization. */
    reserveForPatient: (token, patientId, serviceCode, units) => r('POST', '/api/v1/reservations', { token, body: { patientId, serviceCode, units } }),
    release: (token, reservationId) => r('POST', `/api/v1/reservations/${reservationId}/release`, { token }),
    consume: (token, reservationId, units) => r('POST', `/api/v1/reservations/${reservationId}/consume`, { token, body: units === undefined ? {} : { units } }),
    metricsText: async () => {
      const headers = process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {};
      const res = await r('GET', '/metrics', { headers });
      if (res.status !== 200) throw new ApiError('GET /metrics', res);
      return typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    },
  };
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
