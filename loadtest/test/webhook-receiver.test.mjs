import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startWebhookReceiver } from '../lib/webhook-receiver.mjs';

const sign = (secret, t, body) => `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
const post = (url, body, signature) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'unit-ledger-signature': signature } });

test('the load-test receiver counts each correctly signed event once, its redeliveries as duplicates, and refuses bad signatures', async () => {
  const r = await startWebhookReceiver();
  try {
    r.secret('org-1', 'whsec_test');
    const t = Math.floor(Date.now() / 1000);
    const event = JSON.stringify({ id: 'e1', type: 'reservation.created', organizationId: 'org-1', occurredAt: new Date(Date.now() - 50).toISOString(), data: {} });
    assert.equal((await post(r.url('org-1'), event, sign('whsec_test', t, event))).status, 204);
    assert.equal((await post(r.url('org-1'), event, sign('whsec_test', t, event))).status, 204);
    assert.equal((await post(r.url('org-1'), event, sign('wrong', t, event))).status, 400);
    assert.equal((await post(r.url('org-1'), event.replace('e1', 'e2'), sign('whsec_test', t, event))).status, 400); // body changed after signing
    assert.equal((await post(r.url('org-2'), event, sign('whsec_test', t, event))).status, 400); // unknown endpoint
    const s = r.summary();
    assert.deepEqual([s.events, s.deliveries, s.duplicates, s.badSignatures], [1, 2, 1, 3]);
    assert.ok(r.has('e1') && !r.has('e2'));
    assert.equal(s.lagMs.count, 1);
    assert.ok(s.lagMs.p99 >= 50, `lag ${s.lagMs.p99} ms`);
  } finally {
    await r.stop();
  }
});
