// The three capacity cases of issue 3 §3/§4 and their targets.
export const BENCH_CASES = {
  hot16: { name: 'hot16', title: 'one hot authorization, 16 clients', clients: 16, spread: false, minRatio: 1.0 },
  hot64: { name: 'hot64', title: 'one hot authorization, 64 clients', clients: 64, spread: false, minRatio: 1.0 },
  spread16: { name: 'spread16', title: '1,000 authorizations, random access, 16 clients', clients: 16, spread: true, minRatio: 0.25 },
  // SPEC §10: the hot authorization with a weekly cap (high enough never to bind: the cost of the
  // bucket row, not of refusals), next to the same pgbench baseline as hot16.
  capped16: { name: 'capped16', title: 'one hot authorization with a weekly cap, 16 clients', clients: 16, spread: false, caps: [{ period: 'WEEK', units: 1_000_000 }], minRatio: 1.0 },
  // SPEC §10 scheduling by patient: 500 patients with two authorizations each, a random patient
  // per request (the service reads the candidates, locks both, picks one), next to spread16's pgbench.
  patient16: { name: 'patient16', title: 'scheduling by patient, 500 patients × 2 authorizations, 16 clients', clients: 16, spread: true, byPatient: true, minRatio: 0.25 },
};

export const PATIENTS = 500;

export const SPREAD_AUTHORIZATIONS = 1000;
export const BENCH_TOTAL_UNITS = 1_000_000; // SPEC maximum; 1 unit per reservation so it never runs out in a normal run
