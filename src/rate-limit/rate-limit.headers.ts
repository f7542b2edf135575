import type { ThrottlerStorage } from '@nestjs/throttler';

/** What a storage answered for one request: hits counted in the window, seconds left, blocked or not. */
export type LimitAnswer = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The response, as far as headers go (express's Response is one). */
interface HeaderTarget {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
}

/** Seconds until a blocked client may send again: the 429's `Retry-After`. */
export const retryAfterSeconds = (answer: LimitAnswer) => Math.max(1, Math.ceil(answer.timeToBlockExpire));

const append = (res: HeaderTarget, name: string, item: string) => {
  const previous = res.getHeader(name);
  res.setHeader(name, previous === undefined ? item : `${previous}, ${item}`);
};

/**
 * One limit's state after counting this request, in the fields of draft-ietf-httpapi-ratelimit-headers
 * (-08 to -11; Structured Field lists, one item per limit that counted the request):
 *
 *     RateLimit-Policy: "user";q=6000;w=60            the limit: q requests per w seconds
 *     RateLimit: "user";r=5999;t=42                   r requests left, t seconds until the window resets
 *
 * Built from the storage's own answer to this request's increment, so it is exactly the state the
 * limit decided on, on every instance sharing that storage. On a refusal r is 0 and t equals
 * Retry-After (the draft: Retry-After must not be earlier than the end of the window).
 */
export function reportRateLimit(res: HeaderTarget, policy: string, limit: number, ttlMs: number, answer: LimitAnswer): void {
  const remaining = answer.isBlocked ? 0 : Math.max(0, limit - answer.totalHits);
  const reset = answer.isBlocked ? retryAfterSeconds(answer) : Math.max(0, Math.ceil(answer.timeToExpire));
  append(res, 'RateLimit-Policy', `"${policy}";q=${limit};w=${Math.ceil(ttlMs / 1000)}`);
  append(res, 'RateLimit', `"${policy}";r=${remaining};t=${reset}`);
}
