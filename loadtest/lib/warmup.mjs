// Warm-up before measuring: a freshly started Node.js process runs its code unoptimized until the
// JIT has seen enough calls; at 50 requests/s that takes most of a 60 s run (measured: per-second
// p50 fell from ~4.5 ms in the first seconds to ~3 ms after 40 s). So, like the bench, the load
// test first sends `requests` requests — scenario 1 (refusals once the 50-unit pool is used up)
// and scenario 3 (reserve, release, consume) alternating, 4 at a time — on a separate data set of
// its own organizations. Nothing of it is counted in the scenarios' figures; the report says what
// it sent and got.
import { performance } from 'node:perf_hooks';
import { mapLimit } from './api.mjs';
import { newRunTag, seedSpecDataset } from './seed.mjs';
import { createDriver, SCENARIOS } from './scenarios.mjs';
import { outcomeKey } from './open-loop.mjs';

const CONCURRENCY = 4;

export async function warmUp({ api, adminToken, requests, log = console.error }) {
  if (!requests) return null;
  log(`warm-up: seeding a separate data set, then ${requests} requests (not measured)…`);
  const dataset = await seedSpecDataset(api, adminToken, { tag: newRunTag(), practitionersPerOrg: 1, label: 'warm-up' });
  const drivers = [createDriver(SCENARIOS[1], dataset, api), createDriver(SCENARIOS[3], dataset, api)];
  const outcomes = {};
  const started = performance.now();
  await mapLimit(Array.from({ length: requests }, (_, i) => i), CONCURRENCY, async (i) => {
    const res = await drivers[i % drivers.length].act(i).catch((err) => ({ status: 0, error: err.message }));
    const key = outcomeKey(res);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  });
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  log(`warm-up: ${requests} requests in ${seconds} s  ${JSON.stringify(outcomes)}`);
  return { requests, seconds, concurrency: CONCURRENCY, outcomes };
}
