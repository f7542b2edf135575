// The worked example of the README (SPEC §10), as a client runs it: a six-month authorization with
// 97153 (640 units, at most 20 a week) and 97155-HO (80 units); scheduling by patient; a week
// filled to its cap; a session moved to another week. Each step checks the answer; exit 0 when all pass.
// Usage (service running): BASE=http://127.0.0.1:3000 ADMIN_EMAIL=... ADMIN_PASSWORD=... node docs/examples/payer-authorizations.mjs
// (ADMIN_EMAIL/ADMIN_PASSWORD: the bootstrap SUPER_ADMIN.) CI runs it: test/docs-examples.e2e-spec.ts.
const BASE = process.env.BASE ?? 'http://127.0.0.1:3000';
const run = Math.random().toString(36).slice(2, 8);
let failed = 0;
const check = (name, ok, detail = '') => {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : ` — ${detail}`}`);
};
async function req(method, path, token, body) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}
const show = (r) => `${r.status} ${r.text.slice(0, 300)}`;
const login = async (email, password) => (await req('POST', '/auth/login', null, { email, password })).json?.accessToken;

// An organization with an ADMIN and a PRACTITIONER.
const root = await login(process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD);
const org = (await req('POST', '/organizations', root, { name: `Example-${run}` })).json?.id;
const password = 'Example-Password-123';
await req('POST', '/users', root, { email: `example-admin-${run}@example.com`, password, role: 'ADMIN', organizationId: org });
const admin = await login(`example-admin-${run}@example.com`, password);
await req('POST', '/users', admin, { email: `example-p-${run}@example.com`, password, role: 'PRACTITIONER' });
const practitioner = await login(`example-p-${run}@example.com`, password);

// 1. The payer's letter, as one authorization with two lines.
let r = await req('POST', '/authorizations', admin, {
  patientId: `patient-${run}`, authNumber: `BCBS-2026-${run}`, startDate: '2026-01-01', endDate: '2026-06-30',
  lines: [
    { serviceCode: '97153', totalUnits: 640, caps: [{ period: 'WEEK', units: 20 }] },
    { serviceCode: '97155', modifiers: ['HO'], totalUnits: 80 },
  ],
});
const auth = r.json;
const [direct, supervision] = auth?.lines ?? [];
check('POST /authorizations with lines → 201, serviceCode null, totalUnits 720, two lines, the weekly cap on 97153',
  r.status === 201 && auth.serviceCode === null && auth.totalUnits === 720 && auth.poolUnits === null && auth.lines.length === 2 &&
    direct.serviceCode === '97153' && direct.caps[0]?.period === 'WEEK' && direct.caps[0]?.units === 20 &&
    supervision.serviceCode === '97155' && supervision.modifiers.join() === 'HO', show(r));

// 2. Reserving by id must name the line when there are several.
r = await req('POST', `/authorizations/${auth?.id}/reservations`, practitioner, { units: 4, serviceDate: '2026-03-02' });
check('reserve without serviceCode on two lines → 400 LINE_REQUIRED', r.status === 400 && r.json?.code === 'LINE_REQUIRED', show(r));
r = await req('POST', `/authorizations/${auth?.id}/reservations`, practitioner, { units: 4, serviceCode: '97155', modifiers: ['HO'], serviceDate: '2026-03-02' });
check('reserve 4 units of 97155-HO → 201 on that line', r.status === 201 && r.json?.reservation?.lineId === supervision?.id, show(r));

// 3. Scheduling by patient and code: the service picks the authorization.
r = await req('POST', '/reservations', practitioner, { patientId: `patient-${run}`, serviceCode: '97153', units: 8, serviceDate: '2026-03-04' });
const monday = r.json?.reservation;
check('POST /reservations by patient → 201 {reservation, authorization} on the only candidate',
  r.status === 201 && r.json?.authorization?.id === auth?.id && monday?.lineId === direct?.id && monday?.units === 8, show(r));
r = await req('POST', '/reservations', practitioner, { patientId: `patient-${run}`, serviceCode: '97153', units: 12, serviceDate: '2026-03-06' });
check('12 more in the same week → 201 (20 of 20)', r.status === 201, show(r));

// 4. The 21st unit of the week is refused, naming the week.
r = await req('POST', '/reservations', practitioner, { patientId: `patient-${run}`, serviceCode: '97153', units: 1, serviceDate: '2026-03-08' });
check('a 21st unit in the week of 2026-03-02 → 409 NO_AUTHORIZATION_AVAILABLE, the candidate refused with PERIOD_CAP_EXCEEDED',
  r.status === 409 && r.json?.code === 'NO_AUTHORIZATION_AVAILABLE' && r.json?.candidates?.[0]?.code === 'PERIOD_CAP_EXCEEDED' && r.json?.candidates?.[0]?.availableUnits === 0, show(r));
r = await req('POST', `/authorizations/${auth?.id}/reservations`, practitioner, { units: 1, serviceCode: '97153', serviceDate: '2026-03-08' });
check('the same by id → 409 PERIOD_CAP_EXCEEDED with the bucket: WEEK 2026-03-02..2026-03-08, cap 20, 0 left',
  r.status === 409 && r.json?.code === 'PERIOD_CAP_EXCEEDED' && r.json?.period === 'WEEK' && r.json?.periodStart === '2026-03-02' &&
    r.json?.periodEnd === '2026-03-08' && r.json?.capUnits === 20 && r.json?.availableUnits === 0 && r.json?.requestedUnits === 1, show(r));

// 5. Moving a session to the next week frees its units in this one.
r = await req('PATCH', `/reservations/${monday?.id}`, practitioner, { serviceDate: '2026-03-10' });
check('PATCH /reservations/:id {serviceDate} → 200, moved', r.status === 200 && r.json?.reservation?.serviceDate === '2026-03-10', show(r));
r = await req('POST', `/authorizations/${auth?.id}/reservations`, practitioner, { units: 8, serviceCode: '97153', serviceDate: '2026-03-05' });
check('the 8 freed units of that week can be held again → 201', r.status === 201, show(r));
r = await req('GET', `/authorizations/${auth?.id}/ledger?limit=100`, admin);
check('the ledger shows the move as RELEASE + RESERVE, each with its line and date',
  r.status === 200 && r.json.items.map((e) => `${e.type} ${e.units} ${e.serviceDate}`).join() ===
    'RESERVE 4 2026-03-02,RESERVE 8 2026-03-04,RESERVE 12 2026-03-06,RELEASE 8 2026-03-04,RESERVE 8 2026-03-10,RESERVE 8 2026-03-05', show(r));

console.log(failed ? `\n${failed} check(s) failed` : '\nall checks passed');
process.exit(failed ? 1 : 0);
