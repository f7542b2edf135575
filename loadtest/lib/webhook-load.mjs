// Scenario 3 with a webhook subscribed to every event type in each organization (issue 15 point 7):
// registered before the run, drained after it (every event the feed holds since the registration
// must reach the receiver), reported as delivery lag and counts.
import crypto from 'node:crypto';
import { ApiError } from './api.mjs';
import { crit } from './verdict.mjs';
import { ALL_EVENT_TYPES, startWebhookReceiver } from './webhook-receiver.mjs';

export async function subscribeWebhooks(api, adminToken, orgs, tag) {
  const receiver = await startWebhookReceiver();
  const admins = [];
  for (const [i, org] of orgs.entries()) {
    const email = `hooks-${i}-${tag}@loadtest.example.com`;
    const password = crypto.randomBytes(18).toString('base64url');
    await api.createUser(adminToken, { email, password, role: 'ADMIN', organizationId: org.id });
    const token = await api.login(email, password);
    const res = await api.http.request('POST', '/api/v1/webhooks', { token, body: { url: receiver.url(org.id), events: ALL_EVENT_TYPES, description: `loadtest ${tag}` } });
    if (res.status !== 201) throw new ApiError(`register the webhook of ${org.id} (a self-started service allows loopback URLs)`, res);
    receiver.secret(org.id, res.body.secret);
    admins.push(token);
  }
  const since = Date.now();

  // Every event id of the organizations' feeds that occurred since the registration, read
  // incrementally (each organization's cursor kept between polls).
  const cursors = admins.map(() => '');
  const expected = [];
  async function expectedIds() {
    for (const [i, token] of admins.entries()) {
      for (;;) {
        const after = cursors[i];
        const res = await api.http.request('GET', `/api/v1/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`, { token });
        if (res.status !== 200) throw new ApiError('GET /events', res);
        // Written by a transaction that began after the registration: fanned out to the endpoint.
        for (const e of res.body.items) if (Date.parse(e.occurredAt) >= since) expected.push(e.id);
        cursors[i] = res.body.nextCursor;
        if (res.body.items.length < 100) break;
      }
    }
    return expected;
  }

  return {
    /** Waits (polling, up to timeoutSec) until every expected event arrived; then the figures. */
    async finish({ timeoutSec = 120, log = console.error } = {}) {
      const deadline = Date.now() + timeoutSec * 1000;
      let missing;
      for (;;) {
        const ids = await expectedIds();
        missing = ids.filter((id) => !receiver.has(id)).length;
        if (missing === 0 || Date.now() > deadline) {
          const summary = { ...receiver.summary(), expected: ids.length, missing };
          await receiver.stop();
          return summary;
        }
        log(`webhooks: ${missing} of ${ids.length} events not delivered yet…`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    },
  };
}

/** The gating checks (nothing lost, every signature valid) and the lag, for the scenario's evaluation. */
export function webhookCriteria(w) {
  return {
    criteria: [
      crit('Webhooks: every event since the registration delivered', `${w.expected - w.missing} of ${w.expected}`, `= ${w.expected}`, w.missing === 0),
      crit('Webhooks: every delivery correctly signed', w.badSignatures, '= 0', w.badSignatures === 0),
    ],
    targets: [crit('Webhook delivery lag p99 (event to receiver, informational)', `${w.lagMs.p99} ms`, 'reported', true, false)],
  };
}
