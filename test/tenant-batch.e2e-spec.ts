import { UnitBatchExecutor } from '../src/authorizations/unit-batch-executor';
import { AuthorizationLanes } from '../src/shared/transactions/authorization-lanes';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { closeLockClients, holdAuthorizationRow, lockClient, lockWaiters, waitUntil } from './helpers/lock-gates';
import { startTestApp, TestApp } from './helpers/test-app';
import { expectAgreeing, unitAccounts } from './helpers/unit-accounts';
import { createAuthorization, createOrg, OrgWorld, rootToken } from './helpers/world';

const cursor = (key: string | number) => Buffer.from(String(key)).toString('base64url');

/**
 * A lane combines the commands queued on an authorization into one transaction, whatever
 * organization sent them; its read is scoped to the organizations of the whole batch. So the
 * tenant check that matters is the one made per command inside the batch. Here organization A's
 * requests on B's authorization and B's own requests are queued behind one transaction (held in
 * PostgreSQL by a row lock from a separate connection) so that they run as one batch — which the
 * test checks, not assumes.
 */
describe('tenant isolation inside one batch', () => {
  let t: TestApp;
  let a: OrgWorld;
  let b: OrgWorld;

  beforeAll(async () => {
    t = await startTestApp();
    const root = await rootToken(t.request);
    a = await createOrg(t.request, root, 'Org-A');
    b = await createOrg(t.request, root, 'Org-B');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await closeLockClients();
    await t?.close();
  });

  it("A's requests on B's authorization, sharing a batch with B's own: 404 every time, B's outcomes exact, nothing of A in B's rows", async () => {
    const executor = t.app.get(UnitBatchExecutor);
    const lanes = t.app.get(AuthorizationLanes);
    const reserve = (token: string, authorizationId: string, units: number, key?: string) =>
      t.request('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token, body: { units }, headers: key ? { 'Idempotency-Key': key } : {} });
    const act = (token: string, id: string, action: 'release' | 'consume', body?: object) => t.request('POST', `/api/v1/reservations/${id}/${action}`, { token, body });

    // B: an authorization of 50 holding two reservations of 10. A: one of its own, with history.
    const x = await createAuthorization(t.request, b.tokens.ADMIN, { totalUnits: 50 });
    const [b1, b2] = [(await reserve(b.tokens.PRACTITIONER, x.id, 10)).body.reservation.id, (await reserve(b.tokens.PRACTITIONER, x.id, 10)).body.reservation.id];
    const own = await createAuthorization(t.request, a.tokens.ADMIN, { totalUnits: 100 });
    for (let i = 0; i < 3; i++) expect((await reserve(a.tokens.PRACTITIONER, own.id, 1)).status).toBe(201);
    const ownBefore = await unitAccounts(t.sql, own.id);
    const bLedgerId = (await t.sql.query('select max(id)::int as id from ledger_entries where authorization_id = $1', [x.id])).rows[0].id;

    const execute = jest.spyOn(executor, 'execute');
    const submit = jest.spyOn(lanes, 'submit');
    const holder = await lockClient(t.databaseUrl);
    const release = await holdAuthorizationRow(holder, x.id);
    let plug: Promise<HttpResult>;
    let fromB: Promise<HttpResult>[] = [];
    let fromA: Promise<HttpResult>[] = [];
    let lists: Promise<HttpResult>[] = [];
    try {
      // B's first reservation runs alone and waits inside its transaction: the lane is busy.
      plug = reserve(b.tokens.PRACTITIONER, x.id, 5);
      await waitUntil("B's first transaction waits at the row lock", async () => (await lockWaiters(t.sql)).length === 1);
      // Then, at the same instant, B's requests and A's on B's ids.
      fromB = [
        reserve(b.tokens.PRACTITIONER, x.id, 5, 'same-key'),
        reserve(b.tokens.ADMIN, x.id, 5),
        reserve(b.tokens.PRACTITIONER, x.id, 5),
        act(b.tokens.PRACTITIONER, b1, 'release'),
        act(b.tokens.ADMIN, b2, 'consume', { units: 4 }),
      ];
      fromA = [
        reserve(a.tokens.PRACTITIONER, x.id, 5, 'same-key'),
        reserve(a.tokens.ADMIN, x.id, 5),
        reserve(a.tokens.PRACTITIONER, x.id, 5),
        act(a.tokens.PRACTITIONER, b1, 'consume'),
        act(a.tokens.ADMIN, b2, 'release'),
        t.request('GET', `/api/v1/authorizations/${x.id}`, { token: a.tokens.VIEWER }),
        t.request('GET', `/api/v1/authorizations/${x.id}/reservations?cursor=${cursor(b1)}`, { token: a.tokens.VIEWER }),
        t.request('GET', `/api/v1/authorizations/${x.id}/ledger?cursor=${cursor(1)}`, { token: a.tokens.VIEWER }),
        t.request('GET', `/api/v1/reservations/${b1}`, { token: a.tokens.ADMIN }),
      ];
      // A's own list routes, with B's ids as cursors.
      lists = [
        t.request('GET', `/api/v1/authorizations?limit=100&cursor=${cursor(x.id)}`, { token: a.tokens.VIEWER }),
        t.request('GET', `/api/v1/authorizations/${own.id}/reservations?limit=100&cursor=${cursor(b1)}`, { token: a.tokens.VIEWER }),
        t.request('GET', `/api/v1/authorizations/${own.id}/ledger?limit=100&cursor=${cursor(bLedgerId)}`, { token: a.tokens.VIEWER }),
      ];
      // Everything that reaches the lane is queued behind the first transaction: B's 5 and A's 3 reserves
      // (A's release and consume are refused before the lane, by the scoped lookup of their reservation).
      await waitUntil('every unit command is queued in the lane', () => submit.mock.calls.length >= 1 + 5 + 3);
    } finally {
      await release();
      await holder.end();
      // Also when a wait failed: no request may still be in flight when the app closes its pool.
      await Promise.allSettled([plug!, ...fromB, ...fromA, ...lists]);
    }
    const [plugged, bs, as, listed] = [await plug!, await Promise.all(fromB), await Promise.all(fromA), await Promise.all(lists)];
    const batches = execute.mock.calls.map(([commands]) => commands);
    execute.mockRestore();
    submit.mockRestore();

    // They did share one batch: the plug alone, then all eight commands together.
    expect(batches.map((c) => c.length)).toEqual([1, 8]);
    expect(new Set(batches[1].map((c) => (c.kind === 'expire' ? null : c.caller.organizationId)))).toEqual(new Set([a.id, b.id]));

    // A: 404 every time.
    expect(as.map((r) => [r.status, r.body?.code])).toEqual(as.map(() => [404, 'NOT_FOUND']));
    // A's lists with B's ids as cursors: A's own items after that key, nothing of B's.
    const ownAuthorizations = (await t.sql.query('select id from authorizations where organization_id = $1 and id > $2 order by id', [a.id, x.id])).rows.map((r) => r.id);
    const ownReservations = (await t.sql.query('select id from reservations where authorization_id = $1 and id > $2 order by id', [own.id, b1])).rows.map((r) => r.id);
    const ownLedger = (await t.sql.query('select id::int from ledger_entries where authorization_id = $1 and id > $2 order by id', [own.id, bLedgerId])).rows.map((r) => r.id);
    expect(listed.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(listed[0].body.items.map((i: { id: string }) => i.id)).toEqual(ownAuthorizations);
    expect(listed[1].body.items.map((i: { id: string }) => i.id)).toEqual(ownReservations);
    expect(listed[2].body.items.map((i: { id: number }) => Number(i.id))).toEqual(ownLedger);
    expect(JSON.stringify(listed.map((r) => r.body))).not.toMatch(new RegExp(`${x.id}|${b1}|${b2}|${b.id}`));

    // B: exactly what B alone would have got.
    expect([plugged, ...bs].map((r) => r.status)).toEqual([201, 201, 201, 201, 200, 200]);
    expect(bs[3].body.reservation).toMatchObject({ id: b1, status: 'RELEASED' });
    expect(bs[4].body.reservation).toMatchObject({ id: b2, status: 'CONSUMED', consumedUnits: 4 });
    const after = (await t.request('GET', `/api/v1/authorizations/${x.id}`, { token: b.tokens.VIEWER })).body;
    expect(after).toMatchObject({ usedUnits: 4, scheduledUnits: 20, availableUnits: 26 });
    const accounts = await unitAccounts(t.sql, x.id);
    expectAgreeing(accounts, { used: 4, scheduled: 20 });
    expect(accounts.ledger.byType).toEqual({ RESERVE: 6, RELEASE: 2, CONSUME: 1 });

    // No row of B's names an A user; A's own authorization is untouched; A's key stored nothing.
    const aUsers = Object.values(a.userIds);
    const named = await t.sql.query(
      `select (select count(*)::int from ledger_entries where authorization_id = $1 and actor_id = any($2::uuid[])) as ledger,
              (select count(*)::int from ledger_entries where authorization_id <> $3 and actor_id = any($2::uuid[])) as elsewhere,
              (select count(*)::int from reservations where authorization_id = $1 and created_by = any($2::uuid[])) as reservations,
              (select count(*)::int from idempotency_keys where user_id = any($2::uuid[])) as keys`,
      [x.id, aUsers, own.id],
    );
    expect(named.rows[0]).toEqual({ ledger: 0, elsewhere: 0, reservations: 0, keys: 0 });
    expect(await unitAccounts(t.sql, own.id)).toEqual(ownBefore);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
