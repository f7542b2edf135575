// quick closed-loop: node qb.mjs BASE CONCURRENCY SECONDS NAUTH
import http from 'node:http';
const [base, conc, secs, nauth] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function req(method, path, token, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const r = http.request(base + path, { method, agent, headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}), ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let s = ''; res.on('data', (c) => (s += c)); res.on('end', () => resolve({ status: res.statusCode, body: s ? JSON.parse(s) : null }));
    });
    r.on('error', reject); if (data) r.write(data); r.end();
  });
}
const root = (await req('POST', '/api/v1/auth/login', null, { email: 'root@prof.local', password: 'root-password-123' })).body.accessToken;
const org = (await req('POST', '/api/v1/organizations', root, { name: 'qb' + Date.now() })).body.id;
const tokens = [];
for (let i = 0; i < conc; i++) {
  const email = `qb${Date.now()}-${i}@x.io`;
  await req('POST', '/api/v1/users', root, { email, password: 'qb-password-123', role: 'PRACTITIONER', organizationId: org });
  tokens.push((await req('POST', '/api/v1/auth/login', null, { email, password: 'qb-password-123' })).body.accessToken);
}
const d = (n) => new Date(Date.now() + n * 864e5).toISOString().slice(0, 10);
const auths = [];
for (let i = 0; i < nauth; i++) auths.push((await req('POST', '/api/v1/authorizations', root, { organizationId: org, patientId: 'p', authNumber: 'QB' + Date.now() + i, serviceCode: '97153', totalUnits: 1000000, startDate: d(-5), endDate: d(90) })).body.id);
let ok = 0, other = 0; const lat = [];
const end = Date.now() + secs * 1000;
await Promise.all(tokens.map(async (t) => { while (Date.now() < end) { const s = performance.now(); const r = await req('POST', `/api/v1/authorizations/${auths[Math.floor(Math.random() * auths.length)]}/reservations`, t, { units: 1 }); lat.push(performance.now() - s); r.status === 201 ? ok++ : other++; } }));
lat.sort((a, b) => a - b);
console.log(`conc ${conc} auths ${nauth}: ${(ok / secs).toFixed(0)} ok/s, other ${other}, p50 ${lat[lat.length >> 1].toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)} ms`);
process.exit(0);
