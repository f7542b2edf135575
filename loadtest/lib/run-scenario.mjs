// Seeds, runs, measures and checks one scenario.
import { seedSpecDataset, newRunTag } from './seed.mjs';
import { createDriver } from './scenarios.mjs';
import { runOpenLoop } from './open-loop.mjs';
import { startMetricsSampler, unitMetricsDelta } from './metrics.mjs';
import { checkViaApi, checkViaSql } from './integrity.mjs';
import { evaluateScenario } from './verdict.mjs';
import { subscribeWebhooks, webhookCriteria } from './webhook-load.mjs';

async function scrape(api) {
  try {
    return await api.metricsText();
  } catch (err) {
    console.error(`warning: ${err.message}`);
    return '';
  }
}

/** Per practitioner at most ~50 requests/s (SPEC §6: one client at 50/s is never refused). */
export const practitionersPerOrg = (rate) => Math.max(1, Math.ceil(rate / 150));

export async function runScenario({ api, adminToken, scenario, rate, duration, databaseUrl, webhooks = false, log = console.error }) {
  const tag = newRunTag();
  const perOrg = practitionersPerOrg(rate);
  log(`scenario ${scenario.id}: seeding 3 organizations × ${perOrg} practitioner(s), 55 authorizations…`);
  const dataset = await seedSpecDataset(api, adminToken, { tag, practitionersPerOrg: perOrg, label: `s${scenario.id}` });
  dataset.tokens.startAutoRefresh();
  const tokenMinutesLeft = (dataset.tokens.earliestExpiry() - Date.now()) / 60000;
  if (tokenMinutesLeft * 60 < duration + 300) log(`note: tokens expire in ${tokenMinutesLeft.toFixed(1)} min; they are re-issued 2 min before expiry`);

  const hooks = scenario.webhooks && webhooks ? await subscribeWebhooks(api, adminToken, dataset.orgs, tag) : null;
  const driver = createDriver(scenario, dataset, api);
  const before = await scrape(api);
  const stopSampler = startMetricsSampler(api, Math.max(1, Math.round(duration / 20)));
  const run = await runOpenLoop({ label: `scenario ${scenario.id}`, rate, durationSec: duration, act: driver.act, isError: driver.isError });
  const metricsTimeline = await stopSampler();
  const after = await scrape(api);
  dataset.tokens.stopAutoRefresh();

  const webhookDeliveries = hooks ? await hooks.finish({ log }) : null;
  if (webhookDeliveries) log(`scenario ${scenario.id}: webhooks ${JSON.stringify(webhookDeliveries)}`);
  log(`scenario ${scenario.id}: checking integrity…`);
  const expectations = driver.expectations(run.byOp);
  const metrics = unitMetricsDelta(before, after);
  const integrity = await checkViaApi(api, dataset, driver.clientState);
  const sql = await checkViaSql(databaseUrl);
  const evaluation = evaluateScenario(scenario, run, expectations, metrics, integrity, sql);
  if (webhookDeliveries) {
    const w = webhookCriteria(webhookDeliveries);
    evaluation.criteria.push(...w.criteria);
    evaluation.targets.push(...w.targets);
    evaluation.go = evaluation.criteria.every((x) => x.pass);
    evaluation.verdict = evaluation.go ? 'GO' : 'NO-GO';
  }
  return {
    id: scenario.id,
    name: scenario.name,
    description: scenario.description,
    seedSummary: `3 organizations (${perOrg} practitioner(s) each), 55 authorizations (10 × 50, 20 × 200, 25 × 1000 units), tag ${tag}`,
    tokenRefreshes: dataset.tokens.refreshes,
    run,
    metricsTimeline,
    expectations,
    metrics,
    integrity,
    sql,
    webhookDeliveries,
    evaluation,
  };
}
