// The injected faults. Each runs until `until` (ms since epoch) and returns what it did,
// including the time windows during which the database was (partly) unavailable.
import pg from 'pg';
import { readiness, waitReady } from './instances.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = (rng, [lo, hi]) => lo + rng() * (hi - lo);

/**
 * (a) pg_terminate_backend on the service's connections at random moments: each event kills
 * either one random backend of the phase's database or all of them.
 */
export async function terminateBackends({ adminUrl, database, rng, until, gapMs = [100, 700], log = () => {} }) {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'resilience-fault-a' });
  await client.connect();
  const out = { kind: 'a', events: 0, eventsAll: 0, eventsOne: 0, terminated: 0, windows: [] };
  try {
    while (Date.now() < until) {
      await sleep(between(rng, gapMs));
      if (Date.now() >= until) break;
      const all = rng() < 0.4;
      const t0 = Date.now();
      const { rows } = await client.query(
        all
          ? `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`
          : `select count(*) filter (where pg_terminate_backend(pid))::int as n from
               (select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() order by random() limit 1) s`,
        [database],
      );
      out.events++;
      out[all ? 'eventsAll' : 'eventsOne']++;
      out.terminated += rows[0].n;
      out.windows.push({ from: t0, to: Date.now() });
    }
  } finally {
    await client.end().catch(() => {});
  }
  log(`fault a: ${out.events} events, ${out.terminated} backends terminated`);
  return out;
}

/**
 * Polls /health/ready of every instance every `everyMs` and keeps the samples
 * ({name, t0, t1, status}) until stopped.
 */
function pollReadiness(instances, everyMs = 100) {
  const samples = [];
  let stop = false;
  const loops = instances.map(async (inst) => {
    while (!stop) {
      const t0 = Date.now();
      const status = await readiness(inst.baseUrl);
      samples.push({ name: inst.name, t0, t1: Date.now(), status });
      await sleep(everyMs);
    }
  });
  return {
    samples,
    async stop() {
      stop = true;
      await Promise.all(loops);
    },
  };
}

/**
 * (b) Stops PostgreSQL (alternately fast shutdown, SIGINT, and immediate shutdown, SIGQUIT:
 * crash recovery at the next start) while requests are in flight, keeps it down for a few
 * seconds, starts it again. Readiness of every instance is polled throughout: it must say 503
 * while the database is gone (and never 200) and come back to 200 by itself.
 */
export async function restartPostgres({ pg: server, instances, rng, until, gapMs = [3000, 6000], outageMs = [1500, 4000], recoveryLimitMs = 30000, log = () => {} }) {
  const out = { kind: 'b', events: 0, restarts: [], windows: [] };
  let n = 0;
  while (true) {
    await sleep(between(rng, gapMs));
    const outage = between(rng, outageMs);
    if (Date.now() + outage + 1000 >= until) break;
    const mode = n++ % 2 === 0 ? 'fast' : 'immediate';
    const poll = pollReadiness(instances);
    await sleep(300);
    const stopAt = Date.now();
    await server.stop(mode);
    const downAt = Date.now();
    await sleep(outage);
    const startAt = Date.now();
    await server.start();
    const upAt = Date.now();
    const recovered = {};
    await Promise.all(
      instances.map(async (inst) => {
        try {
          recovered[inst.name] = (await waitReady(inst.baseUrl, { timeoutMs: recoveryLimitMs })) - upAt;
        } catch {
          recovered[inst.name] = null;
        }
      }),
    );
    await poll.stop();
    const ev = { mode, stopAt, downAt, startAt, upAt, outageMs: startAt - downAt, perInstance: {} };
    for (const inst of instances) {
      // Samples sent after the server was gone and answered before it was started again.
      const during = poll.samples.filter((s) => s.name === inst.name && s.t0 >= downAt && s.t1 <= startAt);
      ev.perInstance[inst.name] = {
        samplesDuringOutage: during.length,
        saw503: during.some((s) => s.status === 503),
        said200WhileDown: during.filter((s) => s.status === 200).length,
        unanswered: during.filter((s) => s.status === 0).length,
        recoveredMs: recovered[inst.name],
      };
    }
    out.restarts.push(ev);
    out.events++;
    out.windows.push({ from: stopAt, to: upAt + Math.max(0, ...Object.values(recovered).map((v) => v ?? recoveryLimitMs)) });
    log(`fault b: PostgreSQL ${mode} stop, down ${ev.outageMs} ms; ready again after ${JSON.stringify(recovered)} ms`);
  }
  return out;
}

/** (c) SIGKILL of one instance (alternating) mid-load, restarted on the same port after a pause. */
export async function killInstances({ instances, rng, until, gapMs = [3000, 6000], downMs = [500, 2000], log = () => {} }) {
  const out = { kind: 'c', events: 0, kills: [], windows: [] };
  let n = 0;
  while (true) {
    await sleep(between(rng, gapMs));
    if (Date.now() + 3000 >= until) break;
    const victim = instances[n++ % instances.length];
    const others = instances.filter((i) => i !== victim);
    const killAt = Date.now();
    const pid = victim.pid;
    await victim.kill();
    await sleep(between(rng, downMs));
    const othersReady = await Promise.all(others.map((o) => readiness(o.baseUrl)));
    const startAt = Date.now();
    let readyMs = null;
    let error = null;
    try {
      await victim.start();
      readyMs = Date.now() - startAt;
    } catch (e) {
      error = e.message;
    }
    out.kills.push({ instance: victim.name, pid, killAt, downMs: startAt - killAt, readyMs, error, othersReadyDuringKill: othersReady });
    out.events++;
    out.windows.push({ from: killAt, to: Date.now() });
    log(`fault c: SIGKILL ${victim.name} (pid ${pid}), restarted ${error ? `FAILED: ${error}` : `ready in ${readyMs} ms`}`);
  }
  return out;
}
