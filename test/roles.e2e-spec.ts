// Every role against every route (SPEC §3 role table, §5 "who" column): for each route of
// /api/v1 and each caller (SUPER_ADMIN, ADMIN, PRACTITIONER, VIEWER of one organization, no
// token) the exact status — 401 without a token, 403 FORBIDDEN for a role not allowed, the
// route's success status otherwise — and, for every mutating route, that the change happened
// exactly when it was allowed. Every cell works on fresh objects of its own.
import { HttpResult } from './helpers/http';
import {
  Actor,
  ACTORS,
  Call,
  dbState,
  EVERY_ROLE,
  expectError,
  expectStatus,
  factories,
  MANAGERS,
  SUPER_ADMIN_ONLY,
  unique,
  uniqueEmail,
  UNIT_OPERATORS,
  LOOPBACK_WEBHOOK_URL,
  WEBHOOK_TEST_ENV,
} from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, dayOffset, login, OrgWorld, PASSWORD, rootToken } from './helpers/world';

let t: TestApp;
let org: OrgWorld;
let f: ReturnType<typeof factories>;
let tokens: Record<Actor, string | undefined>;
let rootId: string;
/** Read-only objects the GET routes look at. */
let shared: { authorizationId: string; patientId: string; reservationId: string; apiKeyId: string; webhookId: string };

const asRoot = (method: Call['method'], path: string, body?: unknown) => t.request(method, path, { token: tokens.SUPER_ADMIN, body });
const asAdmin = (method: Call['method'], path: string, body?: unknown) => t.request(method, path, { token: org.tokens.ADMIN, body });
const ok = (status: number) => status >= 200 && status < 300;
/** SPEC §11 webhooks: ADMIN only (an organization's own; a SUPER_ADMIN has none). */
const WEBHOOK_ADMINS: Actor[] = ['ADMIN'];

interface Cell {
  call: Call;
  /** Runs after the call: the effect is there when `allowed`, and absent otherwise. */
  check?: (allowed: boolean, res: HttpResult) => Promise<void>;
}

interface RoleRoute {
  route: string;
  allowed: Actor[];
  success: 200 | 201 | 204;
  /** Fresh objects for one cell, and the call to make. */
  cell: (actor: Actor) => Promise<Cell>;
}

const ROUTES: RoleRoute[] = [
  {
    route: 'GET /auth/me',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async (actor) => ({
      call: { method: 'GET', path: '/api/v1/auth/me' },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body).toEqual({
          id: actor === 'SUPER_ADMIN' ? rootId : org.userIds[actor as keyof OrgWorld['userIds']],
          email: expect.any(String),
          role: actor,
          organizationId: actor === 'SUPER_ADMIN' ? null : org.id,
        });
      },
    }),
  },
  {
    route: 'POST /organizations',
    allowed: SUPER_ADMIN_ONLY,
    success: 201,
    cell: async () => {
      const name = unique('Org');
      return {
        call: { method: 'POST', path: '/api/v1/organizations', body: { name } },
        check: async (allowed) => {
          const list = await asRoot('GET', '/api/v1/organizations');
          expect(list.body.items.filter((o: { name: string }) => o.name === name)).toHaveLength(allowed ? 1 : 0);
        },
      };
    },
  },
  {
    route: 'GET /organizations',
    allowed: SUPER_ADMIN_ONLY,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: '/api/v1/organizations' },
      check: async (allowed, res) => {
        if (allowed) expect(res.body.items.map((o: { id: string }) => o.id)).toContain(org.id);
      },
    }),
  },
  {
    route: 'GET /organizations/:id',
    allowed: MANAGERS,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/organizations/${org.id}` },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body).toEqual({
          id: org.id,
          name: expect.any(String),
          weekStartsOn: 'MONDAY',
          timeZone: 'UTC',
          lowUnitsPercent: 20,
          expiringWithinDays: 30,
          createdAt: expect.any(String),
        });
      },
    }),
  },
  {
    route: 'PATCH /organizations/:id',
    allowed: MANAGERS,
    success: 200,
    cell: async () => {
      // The callers' own organization (an ADMIN may change only theirs); a name of this cell's own shows whether it changed.
      const name = unique('Renamed');
      return {
        call: { method: 'PATCH', path: `/api/v1/organizations/${org.id}`, body: { name } },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select name from organizations where id = $1', [org.id]);
          expect(rows.rows[0].name === name).toBe(allowed);
          if (allowed) expect(res.body).toMatchObject({ id: org.id, name, weekStartsOn: 'MONDAY', timeZone: 'UTC' });
        },
      };
    },
  },
  {
    route: 'POST /users',
    allowed: MANAGERS,
    success: 201,
    cell: async (actor) => {
      const email = uniqueEmail('new-user');
      return {
        // A SUPER_ADMIN names the organization; an ADMIN's users join their own.
        call: {
          method: 'POST',
          path: '/api/v1/users',
          body: { email, password: PASSWORD, role: 'VIEWER', ...(actor === 'SUPER_ADMIN' ? { organizationId: org.id } : {}) },
        },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select role, organization_id from users where email = $1', [email]);
          expect(rows.rows).toEqual(allowed ? [{ role: 'VIEWER', organization_id: org.id }] : []);
          if (!allowed) return;
          expect(res.body).toEqual({ id: expect.any(String), email, role: 'VIEWER', organizationId: org.id, active: true, createdAt: expect.any(String) });
        },
      };
    },
  },
  {
    route: 'GET /users',
    allowed: MANAGERS,
    success: 200,
    cell: async (actor) => ({
      call: { method: 'GET', path: actor === 'SUPER_ADMIN' ? `/api/v1/users?organizationId=${org.id}` : '/api/v1/users' },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body.items.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining(Object.values(org.userIds)));
        for (const u of res.body.items) {
          expect(u.organizationId).toBe(org.id);
          expect(u).not.toHaveProperty('password');
          expect(u).not.toHaveProperty('passwordHash');
        }
      },
    }),
  },
  {
    route: 'PATCH /users/:id',
    allowed: MANAGERS,
    success: 200,
    cell: async () => {
      const user = await f.user('VIEWER');
      return {
        call: { method: 'PATCH', path: `/api/v1/users/${user.id}`, body: { role: 'PRACTITIONER' } },
        check: async (allowed, res) => {
          expect((await dbState(t.sql, { userId: user.id })).user).toEqual([
            expect.objectContaining({ role: allowed ? 'PRACTITIONER' : 'VIEWER', active: true }),
          ]);
          if (allowed) expect(res.body).toMatchObject({ id: user.id, role: 'PRACTITIONER', active: true, organizationId: org.id });
        },
      };
    },
  },
  {
    route: 'POST /authorizations',
    allowed: MANAGERS,
    success: 201,
    cell: async (actor) => {
      const patientId = unique('patient');
      const body = {
        patientId,
        authNumber: unique('AUTH'),
        serviceCode: '97153',
        totalUnits: 30,
        startDate: dayOffset(-1),
        endDate: dayOffset(30),
        ...(actor === 'SUPER_ADMIN' ? { organizationId: org.id } : {}),
      };
      return {
        call: { method: 'POST', path: '/api/v1/authorizations', body },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select organization_id from authorizations where patient_id = $1', [patientId]);
          expect(rows.rows).toEqual(allowed ? [{ organization_id: org.id }] : []);
          if (allowed) {
            expect(res.body).toMatchObject({ organizationId: org.id, patientId, totalUnits: 30, usedUnits: 0, scheduledUnits: 0, availableUnits: 30, status: 'ACTIVE' });
          }
        },
      };
    },
  },
  {
    route: 'POST /authorizations {lines, poolUnits, caps}',
    allowed: MANAGERS,
    success: 201,
    cell: async (actor) => {
      const patientId = unique('patient');
      const body = {
        patientId,
        authNumber: unique('AUTH'),
        lines: [
          { serviceCode: '97153', totalUnits: 40, caps: [{ period: 'WEEK', units: 10 }] },
          { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
        ],
        poolUnits: 50,
        caps: [{ period: 'MONTH', units: 30 }],
        startDate: dayOffset(-1),
        endDate: dayOffset(30),
        ...(actor === 'SUPER_ADMIN' ? { organizationId: org.id } : {}),
      };
      return {
        call: { method: 'POST', path: '/api/v1/authorizations', body },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select id, organization_id, pool_units, total_units from authorizations where patient_id = $1', [patientId]);
          expect(rows.rows).toEqual(allowed ? [{ id: expect.any(String), organization_id: org.id, pool_units: 50, total_units: 50 }] : []);
          if (!allowed) return;
          const state = await dbState(t.sql, { authorizationId: rows.rows[0].id });
          expect(state.lines!.map((l) => `${l.service_code}/${l.modifiers}:${l.total_units}`).sort()).toEqual(['97153/:40', '97155/HO:20']);
          expect(state.caps!.map((c) => `${c.line_id === null ? 'authorization' : 'line'}:${c.period}:${c.units}`).sort()).toEqual(['authorization:MONTH:30', 'line:WEEK:10']);
          expect(state.ledger).toEqual([]);
          expect(res.body).toMatchObject({
            organizationId: org.id,
            patientId,
            serviceCode: null,
            poolUnits: 50,
            totalUnits: 50,
            usedUnits: 0,
            scheduledUnits: 0,
            availableUnits: 50,
            caps: [{ period: 'MONTH', units: 30 }],
            status: 'ACTIVE',
          });
          expect(res.body.lines).toEqual(
            expect.arrayContaining([
              expect.objectContaining({ serviceCode: '97153', modifiers: [], totalUnits: 40, availableUnits: 40, caps: [{ period: 'WEEK', units: 10 }] }),
              expect.objectContaining({ serviceCode: '97155', modifiers: ['HO'], totalUnits: 20, availableUnits: 20, caps: [] }),
            ]),
          );
        },
      };
    },
  },
  {
    route: 'GET /authorizations',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/authorizations?patientId=${shared.patientId}` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toEqual({ items: [expect.objectContaining({ id: shared.authorizationId })], nextCursor: null });
      },
    }),
  },
  {
    route: 'GET /authorizations/:id',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/authorizations/${shared.authorizationId}` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toMatchObject({ id: shared.authorizationId, organizationId: org.id, scheduledUnits: 4 });
      },
    }),
  },
  {
    route: 'PATCH /authorizations/:id',
    allowed: MANAGERS,
    success: 200,
    cell: async () => {
      const auth = await f.authorization({ totalUnits: 50 });
      return {
        call: { method: 'PATCH', path: `/api/v1/authorizations/${auth.id}`, body: { totalUnits: 60, notes: 'adjusted' } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.authorization).toEqual([expect.objectContaining({ total_units: allowed ? 60 : 50, notes: allowed ? 'adjusted' : null })]);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(allowed ? ['ADJUST:10'] : []);
          if (allowed) expect(res.body).toMatchObject({ id: auth.id, totalUnits: 60, availableUnits: 60, notes: 'adjusted' });
        },
      };
    },
  },
  {
    route: 'PATCH /authorizations/:id {caps}',
    allowed: MANAGERS,
    success: 200,
    cell: async () => {
      const auth = await f.authorization({ totalUnits: 50 });
      return {
        call: { method: 'PATCH', path: `/api/v1/authorizations/${auth.id}`, body: { caps: [{ period: 'WEEK', units: 15 }] } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.caps!.map((c) => `${c.line_id}:${c.period}:${c.units}`)).toEqual(allowed ? ['null:WEEK:15'] : []);
          expect(state.authorization).toEqual([expect.objectContaining({ total_units: 50, used_units: 0, scheduled_units: 0 })]);
          if (allowed) expect(res.body).toMatchObject({ id: auth.id, totalUnits: 50, caps: [{ period: 'WEEK', units: 15 }] });
        },
      };
    },
  },
  {
    route: 'POST /authorizations/:id/lines',
    allowed: MANAGERS,
    success: 201,
    cell: async () => {
      const auth = await f.authorization({ totalUnits: 50 });
      return {
        call: { method: 'POST', path: `/api/v1/authorizations/${auth.id}/lines`, body: { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20, caps: [{ period: 'DAY', units: 4 }] } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.lines!.map((l) => `${l.service_code}/${l.modifiers}:${l.total_units}`).sort()).toEqual(allowed ? ['97153/:50', '97155/HO:20'] : ['97153/:50']);
          expect(state.authorization).toEqual([expect.objectContaining({ total_units: allowed ? 70 : 50, service_code: allowed ? null : '97153' })]);
          expect(state.caps!.map((c) => `${c.period}:${c.units}`)).toEqual(allowed ? ['DAY:4'] : []);
          const added = state.lines!.find((l) => l.service_code === '97155');
          expect(state.ledger!.map((e) => `${e.type}:${e.units}:${e.line_id}`)).toEqual(allowed ? [`ADJUST:20:${added!.id}`] : []);
          if (!allowed) return;
          expect(res.body).toMatchObject({ id: auth.id, serviceCode: null, totalUnits: 70, availableUnits: 70 });
          expect(res.body.lines).toEqual(
            expect.arrayContaining([expect.objectContaining({ id: added!.id, serviceCode: '97155', modifiers: ['HO'], totalUnits: 20, caps: [{ period: 'DAY', units: 4 }] })]),
          );
        },
      };
    },
  },
  {
    route: 'PATCH /authorizations/:id/lines/:lineId',
    allowed: MANAGERS,
    success: 200,
    cell: async () => {
      const auth = await f.twoLineAuthorization();
      const line = f.lineOf(auth, '97155', ['HO']);
      return {
        call: { method: 'PATCH', path: `/api/v1/authorizations/${auth.id}/lines/${line.id}`, body: { totalUnits: 25, caps: [{ period: 'MONTH', units: 10 }] } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.lines!.find((l) => l.id === line.id)).toEqual(expect.objectContaining({ total_units: allowed ? 25 : 20 }));
          expect(state.authorization).toEqual([expect.objectContaining({ total_units: allowed ? 85 : 80 })]);
          expect(state.caps!.filter((c) => c.line_id === line.id).map((c) => `${c.period}:${c.units}`)).toEqual(allowed ? ['MONTH:10'] : []);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}:${e.line_id}`)).toEqual(allowed ? [`ADJUST:5:${line.id}`] : []);
          if (!allowed) return;
          expect(res.body).toMatchObject({ id: auth.id, totalUnits: 85 });
          expect(res.body.lines).toEqual(
            expect.arrayContaining([expect.objectContaining({ id: line.id, serviceCode: '97155', modifiers: ['HO'], totalUnits: 25, caps: [{ period: 'MONTH', units: 10 }] })]),
          );
        },
      };
    },
  },
  {
    route: 'DELETE /authorizations/:id',
    allowed: MANAGERS,
    success: 204,
    cell: async () => {
      const auth = await f.authorization();
      return {
        call: { method: 'DELETE', path: `/api/v1/authorizations/${auth.id}` },
        check: async (allowed) => {
          expect((await dbState(t.sql, { authorizationId: auth.id })).authorization).toHaveLength(allowed ? 0 : 1);
        },
      };
    },
  },
  {
    route: 'POST /authorizations/:id/reservations',
    allowed: UNIT_OPERATORS,
    success: 201,
    cell: async () => {
      const auth = await f.authorization({ totalUnits: 50 });
      return {
        call: { method: 'POST', path: `/api/v1/authorizations/${auth.id}/reservations`, body: { units: 3 } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.authorization).toEqual([expect.objectContaining({ scheduled_units: allowed ? 3 : 0, used_units: 0 })]);
          expect(state.reservations!.map((r) => `${r.status}:${r.units}`)).toEqual(allowed ? ['SCHEDULED:3'] : []);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(allowed ? ['RESERVE:3'] : []);
          if (allowed) {
            expect(res.body).toMatchObject({
              reservation: { authorizationId: auth.id, units: 3, status: 'SCHEDULED' },
              authorization: { id: auth.id, scheduledUnits: 3, availableUnits: 47 },
            });
          }
        },
      };
    },
  },
  {
    route: 'POST /authorizations/:id/reservations {serviceCode, modifiers}',
    allowed: UNIT_OPERATORS,
    success: 201,
    cell: async () => {
      const auth = await f.twoLineAuthorization();
      const line = f.lineOf(auth, '97155', ['HO']);
      return {
        call: { method: 'POST', path: `/api/v1/authorizations/${auth.id}/reservations`, body: { units: 3, serviceCode: '97155', modifiers: ['HO'] } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.lines!.map((l) => `${l.service_code}:${l.scheduled_units}`).sort()).toEqual(['97153:0', `97155:${allowed ? 3 : 0}`]);
          expect(state.reservations!.map((r) => `${r.status}:${r.units}:${r.line_id}`)).toEqual(allowed ? [`SCHEDULED:3:${line.id}`] : []);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}:${e.line_id}`)).toEqual(allowed ? [`RESERVE:3:${line.id}`] : []);
          if (allowed) {
            expect(res.body).toMatchObject({
              reservation: { authorizationId: auth.id, lineId: line.id, units: 3, status: 'SCHEDULED' },
              authorization: { id: auth.id, scheduledUnits: 3, availableUnits: 77 },
            });
          }
        },
      };
    },
  },
  {
    route: 'GET /authorizations/:id/reservations',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/authorizations/${shared.authorizationId}/reservations` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toEqual({ items: [expect.objectContaining({ id: shared.reservationId, status: 'SCHEDULED' })], nextCursor: null });
      },
    }),
  },
  {
    route: 'GET /reservations/:id',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/reservations/${shared.reservationId}` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toMatchObject({ id: shared.reservationId, authorizationId: shared.authorizationId, units: 4, status: 'SCHEDULED' });
      },
    }),
  },
  {
    route: 'POST /reservations',
    allowed: ['ADMIN', 'PRACTITIONER'],
    success: 201,
    cell: async () => {
      // The patient's authorization (a weekly cap of 20 on 97153): the service must pick it.
      const auth = await f.twoLineAuthorization({ patientId: unique('patient') });
      const line = f.lineOf(auth, '97153');
      const serviceDate = dayOffset(0);
      return {
        call: { method: 'POST', path: '/api/v1/reservations', body: { patientId: auth.patientId, serviceCode: '97153', units: 5, serviceDate, reference: unique('appt') } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: auth.id });
          expect(state.lines!.find((l) => l.id === line.id)).toEqual(expect.objectContaining({ scheduled_units: allowed ? 5 : 0, used_units: 0 }));
          expect(state.reservations!.map((r) => `${r.status}:${r.units}:${r.line_id}`)).toEqual(allowed ? [`SCHEDULED:5:${line.id}`] : []);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}:${e.line_id}`)).toEqual(allowed ? [`RESERVE:5:${line.id}`] : []);
          expect(state.buckets!.reduce((sum, b) => sum + b.scheduled_units, 0)).toBe(allowed ? 5 : 0);
          if (allowed) {
            expect(res.body).toMatchObject({
              reservation: { authorizationId: auth.id, lineId: line.id, units: 5, serviceDate, status: 'SCHEDULED' },
              authorization: { id: auth.id, scheduledUnits: 5, availableUnits: 75 },
            });
          }
        },
      };
    },
  },
  {
    route: 'PATCH /reservations/:id',
    allowed: UNIT_OPERATORS,
    success: 200,
    cell: async () => {
      const { authorization, reservation } = await f.reservation(4);
      const serviceDate = dayOffset(1);
      return {
        call: { method: 'PATCH', path: `/api/v1/reservations/${reservation.id}`, body: { units: 6, serviceDate } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: authorization.id, reservationId: reservation.id });
          const { rows } = await t.sql.query('select service_date::text as day from reservations where id = $1', [reservation.id]);
          expect({ ...state.reservation![0], day: rows[0].day }).toEqual(
            expect.objectContaining({ status: 'SCHEDULED', units: allowed ? 6 : 4, day: allowed ? serviceDate : reservation.serviceDate }),
          );
          expect(state.authorization).toEqual([expect.objectContaining({ used_units: 0, scheduled_units: allowed ? 6 : 4 })]);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(allowed ? ['RESERVE:4', 'RELEASE:4', 'RESERVE:6'] : ['RESERVE:4']);
          if (allowed) {
            expect(res.body).toMatchObject({
              reservation: { id: reservation.id, units: 6, serviceDate, status: 'SCHEDULED' },
              authorization: { id: authorization.id, scheduledUnits: 6, availableUnits: 44 },
            });
          }
        },
      };
    },
  },
  {
    route: 'POST /reservations/:id/consume',
    allowed: UNIT_OPERATORS,
    success: 200,
    cell: async () => {
      const { authorization, reservation } = await f.reservation(4);
      return {
        call: { method: 'POST', path: `/api/v1/reservations/${reservation.id}/consume`, body: { units: 3 } },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: authorization.id, reservationId: reservation.id });
          expect(state.reservation).toEqual([expect.objectContaining({ status: allowed ? 'CONSUMED' : 'SCHEDULED', consumed_units: allowed ? 3 : 0 })]);
          expect(state.authorization).toEqual([expect.objectContaining({ used_units: allowed ? 3 : 0, scheduled_units: allowed ? 0 : 4 })]);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(allowed ? ['RESERVE:4', 'CONSUME:3', 'RELEASE:1'] : ['RESERVE:4']);
          if (allowed) expect(res.body).toMatchObject({ reservation: { status: 'CONSUMED', consumedUnits: 3 }, authorization: { usedUnits: 3, scheduledUnits: 0 } });
        },
      };
    },
  },
  {
    route: 'POST /reservations/:id/release',
    allowed: UNIT_OPERATORS,
    success: 200,
    cell: async () => {
      const { authorization, reservation } = await f.reservation(4);
      return {
        call: { method: 'POST', path: `/api/v1/reservations/${reservation.id}/release` },
        check: async (allowed, res) => {
          const state = await dbState(t.sql, { authorizationId: authorization.id, reservationId: reservation.id });
          expect(state.reservation).toEqual([expect.objectContaining({ status: allowed ? 'RELEASED' : 'SCHEDULED' })]);
          expect(state.authorization).toEqual([expect.objectContaining({ used_units: 0, scheduled_units: allowed ? 0 : 4 })]);
          expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(allowed ? ['RESERVE:4', 'RELEASE:4'] : ['RESERVE:4']);
          if (allowed) expect(res.body).toMatchObject({ reservation: { status: 'RELEASED' }, authorization: { scheduledUnits: 0, availableUnits: 50 } });
        },
      };
    },
  },
  {
    route: 'GET /authorizations/:id/ledger',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/authorizations/${shared.authorizationId}/ledger` },
      check: async (allowed, res) => {
        if (allowed) {
          expect(res.body).toEqual({
            items: [expect.objectContaining({ type: 'RESERVE', units: 4, reservationId: shared.reservationId, scheduledAfter: 4 })],
            nextCursor: null,
          });
        }
      },
    }),
  },
  // SPEC §10 utilization: read-only, every role, own organization.
  {
    route: 'GET /authorizations/:id/utilization',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/authorizations/${shared.authorizationId}/utilization` },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body).toMatchObject({ authorizationId: shared.authorizationId, totalUnits: 50, usedUnits: 0, scheduledUnits: 4, availableUnits: 46, pool: null, caps: [] });
        expect(res.body.lines).toEqual([expect.objectContaining({ serviceCode: '97153', modifiers: [], scheduledUnits: 4 })]);
      },
    }),
  },
  {
    route: 'GET /utilization',
    allowed: EVERY_ROLE,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/utilization?patientId=${shared.patientId}` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toEqual({ items: [expect.objectContaining({ authorizationId: shared.authorizationId, scheduledUnits: 4 })], nextCursor: null });
      },
    }),
  },
  // SPEC §11 machine clients: API keys are managed by ADMIN (own organization) and SUPER_ADMIN (names the organization).
  {
    route: 'POST /api-keys',
    allowed: MANAGERS,
    success: 201,
    cell: async (actor) => {
      const name = unique('role-key');
      return {
        call: { method: 'POST', path: '/api/v1/api-keys', body: { name, role: 'VIEWER', ...(actor === 'SUPER_ADMIN' ? { organizationId: org.id } : {}) } },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select role, organization_id from api_keys where name = $1', [name]);
          expect(rows.rows).toEqual(allowed ? [{ role: 'VIEWER', organization_id: org.id }] : []);
          if (allowed) expect(res.body).toMatchObject({ name, role: 'VIEWER', organizationId: org.id, key: expect.stringMatching(/^ul_/) });
        },
      };
    },
  },
  {
    route: 'GET /api-keys',
    allowed: MANAGERS,
    success: 200,
    cell: async (actor) => ({
      call: { method: 'GET', path: actor === 'SUPER_ADMIN' ? `/api/v1/api-keys?organizationId=${org.id}` : '/api/v1/api-keys' },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body.items.map((k: { id: string }) => k.id)).toContain(shared.apiKeyId);
        for (const k of res.body.items) expect([k.organizationId, k.key]).toEqual([org.id, undefined]);
      },
    }),
  },
  {
    route: 'DELETE /api-keys/:id',
    allowed: MANAGERS,
    success: 204,
    cell: async () => {
      const made = await asAdmin('POST', '/api/v1/api-keys', { name: unique('doomed'), role: 'VIEWER' });
      return {
        call: { method: 'DELETE', path: `/api/v1/api-keys/${made.body.id}` },
        check: async (allowed) => {
          expect((await t.sql.query('select id from api_keys where id = $1', [made.body.id])).rows).toHaveLength(allowed ? 0 : 1);
          expect((await t.request('GET', '/api/v1/auth/me', { token: made.body.key })).status).toBe(allowed ? 401 : 200);
        },
      };
    },
  },
  // SPEC §11 change feed: ADMIN and VIEWER of the organization (SUPER_ADMIN: all); PRACTITIONER 403.
  {
    route: 'GET /events',
    allowed: ['SUPER_ADMIN', 'ADMIN', 'VIEWER'],
    success: 200,
    cell: async (actor) => ({
      call: { method: 'GET', path: '/api/v1/events?limit=100' },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body).toEqual({ items: expect.any(Array), nextCursor: expect.any(String) });
        if (actor !== 'SUPER_ADMIN') expect(res.body.items.filter((e: { organizationId: string }) => e.organizationId !== org.id)).toEqual([]);
      },
    }),
  },
  // SPEC §11 webhooks: an ADMIN's, in their own organization (a SUPER_ADMIN has none: 403).
  {
    route: 'POST /webhooks',
    allowed: WEBHOOK_ADMINS,
    success: 201,
    cell: async () => {
      const description = unique('role-hook');
      return {
        call: { method: 'POST', path: '/api/v1/webhooks', body: { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description } },
        check: async (allowed, res) => {
          const rows = await t.sql.query('select organization_id, url from webhook_endpoints where description = $1', [description]);
          expect(rows.rows).toEqual(allowed ? [{ organization_id: org.id, url: LOOPBACK_WEBHOOK_URL }] : []);
          if (allowed) expect(res.body).toMatchObject({ organizationId: org.id, url: LOOPBACK_WEBHOOK_URL, description, secret: expect.stringMatching(/^whsec_/) });
        },
      };
    },
  },
  {
    route: 'GET /webhooks',
    allowed: WEBHOOK_ADMINS,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: '/api/v1/webhooks' },
      check: async (allowed, res) => {
        if (!allowed) return;
        expect(res.body.items.map((w: { id: string }) => w.id)).toContain(shared.webhookId);
        for (const w of res.body.items) expect([w.organizationId, w.secret]).toEqual([org.id, undefined]);
      },
    }),
  },
  {
    route: 'GET /webhooks/:id',
    allowed: WEBHOOK_ADMINS,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/webhooks/${shared.webhookId}` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toMatchObject({ id: shared.webhookId, organizationId: org.id, url: LOOPBACK_WEBHOOK_URL, enabled: true });
        if (allowed) expect(res.body).not.toHaveProperty('secret');
      },
    }),
  },
  {
    route: 'GET /webhooks/:id/deliveries',
    allowed: WEBHOOK_ADMINS,
    success: 200,
    cell: async () => ({
      call: { method: 'GET', path: `/api/v1/webhooks/${shared.webhookId}/deliveries` },
      check: async (allowed, res) => {
        if (allowed) expect(res.body).toEqual({ items: expect.any(Array), nextCursor: null });
      },
    }),
  },
  {
    route: 'PATCH /webhooks/:id',
    allowed: WEBHOOK_ADMINS,
    success: 200,
    cell: async () => {
      const hook = await f.webhook();
      return {
        call: { method: 'PATCH', path: `/api/v1/webhooks/${hook.id}`, body: { enabled: false, events: ['reservation.released'] } },
        check: async (allowed) => {
          const rows = await t.sql.query('select enabled, event_types from webhook_endpoints where id = $1', [hook.id]);
          expect(rows.rows).toEqual([allowed ? { enabled: false, event_types: ['reservation.released'] } : { enabled: true, event_types: ['reservation.created'] }]);
        },
      };
    },
  },
  {
    route: 'DELETE /webhooks/:id',
    allowed: WEBHOOK_ADMINS,
    success: 204,
    cell: async () => {
      const hook = await f.webhook();
      return {
        call: { method: 'DELETE', path: `/api/v1/webhooks/${hook.id}` },
        check: async (allowed) => {
          expect((await t.sql.query('select id from webhook_endpoints where id = $1', [hook.id])).rows).toHaveLength(allowed ? 0 : 1);
        },
      };
    },
  },
];

const expected = (route: RoleRoute, actor: Actor): number => (actor === 'NONE' ? 401 : route.allowed.includes(actor) ? route.success : 403);

const CELLS = ROUTES.flatMap((route) => ACTORS.map((actor) => ({ route, actor, status: expected(route, actor) })));

beforeAll(async () => {
  t = await startTestApp(WEBHOOK_TEST_ENV);
  const root = await rootToken(t.request);
  org = await createOrg(t.request, root);
  f = factories(t.request, org);
  tokens = { SUPER_ADMIN: root, ...org.tokens, NONE: undefined };
  rootId = (await t.request('GET', '/api/v1/auth/me', { token: root })).body.id;
  const { authorization, reservation } = await f.reservation(4);
  const apiKey = await t.request('POST', '/api/v1/api-keys', { token: org.tokens.ADMIN, body: { name: unique('shared-key'), role: 'VIEWER' } });
  shared = { authorizationId: authorization.id, patientId: authorization.patientId, reservationId: reservation.id, apiKeyId: apiKey.body.id, webhookId: (await f.webhook()).id };
});
afterAll(() => t?.close());

describe('roles: every role against every route', () => {
  it('covers all 35 routes of SPEC §5, §10 and §11 under /api/v1 (login, refresh and logout aside), 3 of them with a second body shape, for 5 callers', () => {
    expect(new Set(ROUTES.map((r) => r.route.split(' ').slice(0, 2).join(' '))).size).toBe(35);
    expect(ROUTES).toHaveLength(38);
    expect(CELLS).toHaveLength(190);
  });

  it.each(CELLS.map((c) => [c.actor, c.route.route, c.status, c]))('%s × %s → %i', async (_actor, _route, status, { route, actor }) => {
    const { call, check } = await route.cell(actor);
    const res = await t.request(call.method, call.path, { token: tokens[actor], body: call.body });
    if (status === 401) expectError(res, 401, 'UNAUTHORIZED');
    else if (status === 403) expectError(res, 403, 'FORBIDDEN');
    else expectStatus(res, status);
    await check?.(ok(status), res);
  });

  it('the shared read-only objects were not changed by any cell', async () => {
    const state = await dbState(t.sql, { authorizationId: shared.authorizationId, reservationId: shared.reservationId });
    expect(state.authorization).toEqual([expect.objectContaining({ total_units: 50, used_units: 0, scheduled_units: 4 })]);
    expect(state.reservation).toEqual([expect.objectContaining({ status: 'SCHEDULED', units: 4 })]);
    expect(state.ledger!.map((e) => `${e.type}:${e.units}`)).toEqual(['RESERVE:4']);
  });
});

describe('roles: rules beyond the role table', () => {
  let otherOrgId: string;

  beforeAll(async () => {
    const other = await asRoot('POST', '/api/v1/organizations', { name: unique('Other') });
    expect(other.status).toBe(201);
    otherOrgId = other.body.id;
  });

  const usersWithEmail = async (email: string) => (await t.sql.query('select id from users where email = $1', [email])).rows;

  it.each([
    ['without organizationId', (): Record<string, unknown> => ({})],
    ['with its own organizationId', (): Record<string, unknown> => ({ organizationId: org.id })],
  ])('ADMIN × POST /users role SUPER_ADMIN (%s) → 403, nobody created', async (_label, extra) => {
    const email = uniqueEmail('would-be-root');
    const res = await asAdmin('POST', '/api/v1/users', {
      email,
      password: PASSWORD,
      role: 'SUPER_ADMIN',
      ...extra(),
    });
    expectError(res, 403, 'FORBIDDEN');
    expect(await usersWithEmail(email)).toEqual([]);
  });

  it.each(['VIEWER', 'PRACTITIONER', 'ADMIN'])('ADMIN × POST /users role %s with another organization\'s organizationId → 403, nobody created', async (role) => {
    const email = uniqueEmail('elsewhere');
    const res = await asAdmin('POST', '/api/v1/users', { email, password: PASSWORD, role, organizationId: otherOrgId });
    expectError(res, 403, 'FORBIDDEN');
    expect(await usersWithEmail(email)).toEqual([]);
  });

  // A role change to something else than one's own role, per caller (PRACTITIONER and VIEWER try an escalation).
  const SELF_CHANGES: [Actor, Record<string, unknown>][] = [
    ['SUPER_ADMIN', { role: 'ADMIN' }],
    ['SUPER_ADMIN', { active: false }],
    ['ADMIN', { role: 'VIEWER' }],
    ['ADMIN', { role: 'SUPER_ADMIN' }],
    ['ADMIN', { active: false }],
    ['PRACTITIONER', { role: 'ADMIN' }],
    ['PRACTITIONER', { active: false }],
    ['VIEWER', { role: 'ADMIN' }],
    ['VIEWER', { active: false }],
  ];

  it.each(SELF_CHANGES)('%s × PATCH /users/<own id> %j → 403, unchanged and still signed in', async (actor, change) => {
    const ownId = actor === 'SUPER_ADMIN' ? rootId : org.userIds[actor as keyof OrgWorld['userIds']];
    const before = await dbState(t.sql, { userId: ownId });
    const res = await t.request('PATCH', `/api/v1/users/${ownId}`, { token: tokens[actor], body: change });
    expectError(res, 403, 'FORBIDDEN');
    expect(await dbState(t.sql, { userId: ownId })).toEqual(before);
    const me = await t.request('GET', '/api/v1/auth/me', { token: tokens[actor] });
    expectStatus(me, 200);
    expect(me.body.role).toBe(actor);
  });

  it.each(['VIEWER', 'PRACTITIONER', 'ADMIN'] as const)('ADMIN × PATCH /users/:id of a %s with role SUPER_ADMIN → 403, unchanged', async (role) => {
    const user = await f.user(role);
    const before = await dbState(t.sql, { userId: user.id });
    const res = await asAdmin('PATCH', `/api/v1/users/${user.id}`, { role: 'SUPER_ADMIN' });
    expectError(res, 403, 'FORBIDDEN');
    expect(await dbState(t.sql, { userId: user.id })).toEqual(before);
  });

  it.each(['ADMIN', 'SUPER_ADMIN'] as const)(
    'a user deactivated by the %s: their token → 401 at once, login → 401 INVALID_CREDENTIALS',
    async (deactivator) => {
      const user = await f.user('PRACTITIONER');
      const token = await login(t.request, user.email, user.password);
      const auth = await f.authorization();
      expectStatus(await t.request('GET', '/api/v1/auth/me', { token }), 200);

      const res = await t.request('PATCH', `/api/v1/users/${user.id}`, { token: tokens[deactivator], body: { active: false } });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ id: user.id, active: false, role: 'PRACTITIONER' });

      expectError(await t.request('GET', '/api/v1/auth/me', { token }), 401, 'UNAUTHORIZED');
      expectError(await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token }), 401, 'UNAUTHORIZED');
      expectError(await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 1 } }), 401, 'UNAUTHORIZED');
      expect((await dbState(t.sql, { authorizationId: auth.id })).reservations).toEqual([]);

      const again = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expectError(again, 401, 'INVALID_CREDENTIALS');
      expect(again.body).not.toHaveProperty('accessToken');
    },
  );
});
