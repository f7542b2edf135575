// The three capacity cases of issue 3 §3/§4 and their targets.
export const BENCH_CASES = {
  hot16: { name: 'hot16', title: 'one hot authorization, 16 clients', clients: 16, spread: false, minRatio: 1.0 },
  hot64: { name: 'hot64', title: 'one hot authorization, 64 clients', clients: 64, spread: false, minRatio: 1.0 },
  spread16: { name: 'spread16', title: '1,000 authorizations, random access, 16 clients', clients: 16, spread: true, minRatio: 0.25 },
};

export const SPREAD_AUTHORIZATIONS = 1000;
export const BENCH_TOTAL_UNITS = 1_000_000; // SPEC maximum; 1 unit per reservation so it never runs out in a normal run
