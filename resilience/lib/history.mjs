// The client-side history: every logical request (operation, ids, Idempotency-Key, body)
// with every HTTP attempt made for it (instance, times, status, error code, body, replay
// header), and its outcome as the client knows it:
//
//   ack       a 2xx answer arrived (first try, after retries, or as an idempotent replay)
//   rejected  a 4xx answer arrived (a business rule said no: nothing may have been applied)
//   error     a 5xx other than 503 arrived (never allowed)
//   unknown   no answer: the client gave up (network error, timeout or 503 on the last attempt)
//
// A request whose attempt ended without an HTTP answer (connection cut, reset, refused,
// client timeout) had an *unknown outcome* at that moment; the client then resends the SAME
// method, path, body and Idempotency-Key (to the other instance when there is one) until it
// gets an answer or its retry budget runs out — or, with `abandonProbability`, abandons it at
// once like a client that crashed. 503 answers are retried the same way (Retry-After).
import fs from 'node:fs';
import { createHttpClient } from '../../loadtest/lib/http-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class History {
  constructor(label) {
    this.label = label;
    this.records = [];
  }

  /** Starts a record; `fields`: op, key, clientId, userId, method, path, body, authorizationId?, reservationId?, replayOf? */
  begin(fields) {
    const rec = { id: this.records.length, ...fields, attempts: [], outcome: null, final: null, startedAt: Date.now(), endedAt: null };
    this.records.push(rec);
    return rec;
  }

  /** Figures for the summary table. */
  stats() {
    const s = { requests: this.records.length, attempts: 0, ack: 0, s409: 0, s503: 0, hostile400: 0, other: 0, s500: 0, unknownAttempts: 0, unknownRetried: 0, unknownResolved: 0, unknownFinal: 0, abandoned: 0, replays: 0 };
    for (const r of this.records) {
      s.attempts += r.attempts.length;
      for (const a of r.attempts) {
        if (a.status === 503) s.s503++;
        else if (a.status >= 500) s.s500++;
        else if (a.status === 0) s.unknownAttempts++;
      }
      if (r.replayOf !== undefined) s.replays++;
      const f = r.final;
      if (r.outcome === 'ack') s.ack++;
      else if (f && f.status === 409) {
        s.s409++;
        s.byCode ??= {};
        s.byCode[`${r.op} ${f.code}`] = (s.byCode[`${r.op} ${f.code}`] ?? 0) + 1;
      }
      else if (r.hostile && f && f.status === 400) s.hostile400++;
      else if (r.outcome !== 'unknown' && !(f && f.status === 503)) s.other++;
      const hadUnknown = r.attempts.some((a) => a.status === 0);
      if (hadUnknown && r.attempts.length > 1) s.unknownRetried++;
      if (hadUnknown && r.outcome !== 'unknown') s.unknownResolved++;
      if (r.outcome === 'unknown') s.unknownFinal++;
      if (r.abandoned) s.abandoned++;
    }
    return s;
  }

  save(file) {
    fs.writeFileSync(file, JSON.stringify({ label: this.label, records: this.records }));
  }

  static load(file) {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    const h = new History(data.label);
    h.records = data.records;
    return h;
  }
}

/**
 * HTTP to one or several instances with the retry discipline described above.
 * `instances`: array of { name, baseUrl } (objects may be the live ServiceInstance).
 */
export class ResilientClient {
  constructor({ instances, history, timeoutMs = 2500, retryBudgetMs = 30000, abandonProbability = 0, rng = Math.random }) {
    this.instances = instances;
    this.history = history;
    this.timeoutMs = timeoutMs;
    this.retryBudgetMs = retryBudgetMs;
    this.abandonProbability = abandonProbability;
    this.rng = rng;
    this.http = new Map();
  }

  httpFor(inst) {
    let c = this.http.get(inst.baseUrl);
    if (!c) {
      c = createHttpClient(inst.baseUrl, { timeoutMs: this.timeoutMs, maxSockets: 256 });
      this.http.set(inst.baseUrl, c);
    }
    return c;
  }

  close() {
    for (const c of this.http.values()) c.close();
  }

  /**
   * Sends a recorded request: rec has method, path, body, key; `token` authenticates;
   * `preferred` is the index of the instance to try first.
   */
  async send(rec, token, preferred = 0) {
    const deadline = Date.now() + this.retryBudgetMs;
    let idx = preferred % this.instances.length;
    for (let n = 0; ; n++) {
      const inst = this.instances[idx];
      const t0 = Date.now();
      const res = await this.httpFor(inst).request(rec.method, rec.path, {
        token,
        body: rec.body,
        headers: { 'idempotency-key': rec.key },
      });
      const attempt = { instance: inst.name, t0, t1: Date.now(), status: res.status, code: res.code ?? null, error: res.error ?? null };
      if (res.status) {
        attempt.replayed = res.headers?.['idempotent-replayed'] === 'true';
        attempt.body = res.body;
      }
      rec.attempts.push(attempt);
      const retryable = res.status === 0 || res.status === 503;
      if (!retryable) {
        rec.final = { status: res.status, code: res.code ?? null, body: res.body, replayed: attempt.replayed, instance: inst.name };
        rec.outcome = res.status >= 200 && res.status < 300 ? 'ack' : res.status < 500 ? 'rejected' : 'error';
        rec.endedAt = Date.now();
        return rec;
      }
      if (res.status === 0 && this.rng() < this.abandonProbability) {
        rec.abandoned = true;
        break;
      }
      if (Date.now() >= deadline) break;
      // Another instance for the next attempt when the connection failed; backoff with jitter.
      if (res.status === 0 && this.instances.length > 1) idx = (idx + 1) % this.instances.length;
      const base = Math.min(1000, 50 * 2 ** Math.min(n, 5));
      await sleep(base / 2 + this.rng() * (base / 2));
    }
    const last = rec.attempts.at(-1);
    rec.final = last.status === 503 ? { status: 503, code: last.code, body: last.body, instance: last.instance } : null;
    rec.outcome = 'unknown';
    rec.endedAt = Date.now();
    return rec;
  }
}
