import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { reportRateLimit, retryAfterSeconds } from './rate-limit.headers';

const response = () => new ServerResponse(new IncomingMessage(new Socket()));
const counted = (totalHits: number, timeToExpire: number) => ({ totalHits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 });

describe('reportRateLimit', () => {
  it('writes one policy as draft-ietf-httpapi-ratelimit-headers fields: limit and window, requests left and seconds to reset', () => {
    const res = response();
    reportRateLimit(res, 'user', 6000, 60_000, counted(1, 42));
    expect(res.getHeader('RateLimit-Policy')).toBe('"user";q=6000;w=60');
    expect(res.getHeader('RateLimit')).toBe('"user";r=5999;t=42');
  });

  it('lists every limit that counted the request, in the order they counted it', () => {
    const res = response();
    reportRateLimit(res, 'anon', 600, 60_000, counted(3, 57));
    reportRateLimit(res, 'login', 10, 15 * 60_000, counted(10, 880));
    expect(res.getHeader('RateLimit-Policy')).toBe('"anon";q=600;w=60, "login";q=10;w=900');
    expect(res.getHeader('RateLimit')).toBe('"anon";r=597;t=57, "login";r=0;t=880');
  });

  it('a refused request: nothing left, and the window ends when Retry-After does', () => {
    const res = response();
    const refused = { totalHits: 11, timeToExpire: 3, isBlocked: true, timeToBlockExpire: 899 };
    reportRateLimit(res, 'login', 10, 15 * 60_000, refused);
    expect(res.getHeader('RateLimit')).toBe('"login";r=0;t=899');
    expect(retryAfterSeconds(refused)).toBe(899);
    // A block that ends within this second still asks for one second, like Retry-After.
    expect(retryAfterSeconds({ ...refused, timeToBlockExpire: 0 })).toBe(1);
  });

  it('never reports a negative number of requests left', () => {
    const res = response();
    reportRateLimit(res, 'user', 5, 60_000, counted(7, 10));
    expect(res.getHeader('RateLimit')).toBe('"user";r=0;t=10');
  });
});
