import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CheckedWebhookUrl, pinnedLookup } from './webhook-url';

// One delivery attempt over the wire (SPEC §11): POST the body to the URL just checked
// (checkWebhookUrl, before every attempt), connecting only to the addresses that check resolved
// (pinnedLookup: a second DNS answer cannot redirect it), never following a redirect (Node's
// http(s).request does not; a 3xx is a failed attempt like any non-2xx), within a deadline
// (10 s by default: "a 2xx answer within 10 s is a delivery"). TLS verifies the receiver's
// certificate against the URL's host name, as usual. The answer's body is not read beyond a
// few kilobytes: only the status counts.

export const WEBHOOK_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Unit-Ledger-Webhooks/1';

export interface WebhookAttempt {
  check: CheckedWebhookUrl;
  /** The exact bytes that were signed. */
  body: string | Buffer;
  /** Unit-Ledger-Event-Id, -Event-Type, -Signature. Content-Type, Content-Length and User-Agent are set here. */
  headers: Record<string, string>;
  timeoutMs?: number;
}

export type WebhookAttemptResult =
  /** The receiver answered: a delivery when `delivered` (2xx). */
  | { delivered: boolean; status: number; durationMs: number }
  /** No answer: connection refused, reset, TLS failure, timeout… (`error` is the code, e.g. ECONNREFUSED, ETIMEDOUT). */
  | { delivered: false; status: null; error: string; durationMs: number };

/** Makes one attempt; never throws (every failure is a result). */
export function postWebhook({ check, body, headers, timeoutMs = WEBHOOK_TIMEOUT_MS }: WebhookAttempt): Promise<WebhookAttemptResult> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const url = new URL(check.href);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise((resolve) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (result: WebhookAttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (error: unknown) => {
      const code = (error as { code?: unknown })?.code;
      finish({ delivered: false, status: null, error: typeof code === 'string' ? code : error instanceof Error ? error.message : String(error), durationMs: elapsed() });
    };
    // The deadline also bounds the connection itself: an answer whose body never ends is cut off then.
    const timer = setTimeout(() => {
      fail(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }));
      req?.destroy();
    }, timeoutMs);
    try {
      req = send(url, {
        method: 'POST',
        lookup: pinnedLookup(check),
        // One connection per attempt: a pooled socket could have been opened to an address an earlier check allowed.
        agent: false,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(bytes.length), 'user-agent': USER_AGENT },
      });
    } catch (error) {
      // e.g. a header value Node refuses (ERR_INVALID_CHAR): no request was sent.
      clearTimeout(timer);
      fail(error);
      return;
    }
    req.on('close', () => clearTimeout(timer));
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      finish({ delivered: status >= 200 && status <= 299, status, durationMs: elapsed() });
      // Read a little of the answer (so that a short one ends the exchange cleanly), then hang up.
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > 8 * 1024) req?.destroy();
      });
      res.on('end', () => req?.destroy());
      res.on('error', () => undefined);
    });
    req.end(bytes);
  });
}
