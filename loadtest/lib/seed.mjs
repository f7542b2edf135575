// Seeds data through the API: organizations, practitioners, authorizations.
import crypto from 'node:crypto';
import { mapLimit } from './api.mjs';
import { TokenPool } from './tokens.mjs';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PAYERS = ['Aetna', 'Cigna', 'UnitedHealthcare', 'BlueCross', 'Medicaid'];

export function randomCode(n, rng = Math.random) {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rng() * ALNUM.length)];
  return s;
}

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

/** Start within the last 45 days, end six months later (SPEC §9). */
export function authorizationPeriod(rng = Math.random) {
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  start.setUTCDate(start.getUTCDate() - Math.floor(rng() * 45));
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 6);
  return { startDate: isoDate(start), endDate: isoDate(end) };
}

export function newRunTag() {
  return `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
}

/** Creates an organization and `count` practitioners, logs them in. */
export async function createOrgWithPractitioners(api, adminToken, tokens, { name, short, count, tag }) {
  const org = await api.createOrganization(adminToken, name);
  const users = Array.from({ length: count }, (_, i) => ({
    email: `practitioner${i + 1}-${short.toLowerCase()}-${tag}@loadtest.example.com`,
    password: crypto.randomBytes(18).toString('base64url'),
  }));
  await mapLimit(users, 4, async (u) => {
    await api.createUser(adminToken, { email: u.email, password: u.password, role: 'PRACTITIONER', organizationId: org.id });
    await tokens.add(org.id, u.email, u.password);
  });
  return { id: org.id, name, short };
}

/**
 * Creates authorizations from specs [{org, totalUnits, pool, caps?, patientId?}] (8 requests in
 * flight); `caps` (SPEC §10) cap the authorization per DAY/WEEK/MONTH.
 */
export async function createAuthorizations(api, adminToken, specs, tag) {
  const taken = new Set();
  return mapLimit(specs, 8, async (spec, i) => {
    let authNumber;
    do authNumber = `AUTH-${spec.org.short}-${spec.totalUnits}-${randomCode(6)}`;
    while (taken.has(authNumber));
    taken.add(authNumber);
    const created = await api.createAuthorization(adminToken, {
      organizationId: spec.org.id,
      patientId: spec.patientId ?? `PAT-${tag}-${String(i + 1).padStart(4, '0')}`,
      payer: PAYERS[i % PAYERS.length],
      authNumber,
      serviceCode: '97153',
      totalUnits: spec.totalUnits,
      ...(spec.caps ? { caps: spec.caps } : {}),
      ...authorizationPeriod(),
    });
    return { id: created.id, orgId: spec.org.id, orgShort: spec.org.short, authNumber, totalUnits: spec.totalUnits, pool: spec.pool, patientId: created.patientId };
  });
}

/**
 * SPEC §9 data set: OrgA/OrgB/OrgC; 55 authorizations round-robin over the
 * organizations: 10 × 50 units (the hot pool), 20 × 200, 25 × 1000.
 */
export async function seedSpecDataset(api, adminToken, { tag, practitionersPerOrg, label }) {
  const tokens = new TokenPool(api);
  const orgs = [];
  for (const short of ['OrgA', 'OrgB', 'OrgC']) {
    orgs.push(await createOrgWithPractitioners(api, adminToken, tokens, { name: `${short} (loadtest ${label} ${tag})`, short, count: practitionersPerOrg, tag }));
  }
  const specs = [];
  const pools = [
    [10, 50],
    [20, 200],
    [25, 1000],
  ];
  for (const [count, totalUnits] of pools) {
    for (let k = 0; k < count; k++) specs.push({ org: orgs[specs.length % 3], totalUnits, pool: String(totalUnits) });
  }
  const authorizations = await createAuthorizations(api, adminToken, specs, tag);
  return { orgs, authorizations, tokens };
}

/**
 * Soak data set: `organizations` organizations (Org1, Org2, …) with `practitionersPerOrg`
 * practitioners each, and `authorizations` authorizations of `totalUnits` units round-robin over them.
 */
export async function seedSoakDataset(api, adminToken, { tag, organizations, practitionersPerOrg, authorizations, totalUnits }) {
  const tokens = new TokenPool(api);
  const shorts = Array.from({ length: organizations }, (_, i) => `Org${i + 1}`);
  const orgs = await mapLimit(shorts, 2, (short) =>
    createOrgWithPractitioners(api, adminToken, tokens, { name: `${short} (loadtest soak ${tag})`, short, count: practitionersPerOrg, tag }),
  );
  const specs = Array.from({ length: authorizations }, (_, i) => ({ org: orgs[i % organizations], totalUnits, pool: String(totalUnits) }));
  return { orgs, authorizations: await createAuthorizations(api, adminToken, specs, tag), tokens };
}
