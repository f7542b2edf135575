import { Injectable } from '@nestjs/common';
import { VerifiedClaims, withinWindow } from './access-token-claims';

/** Beyond this many tokens the oldest is forgotten. */
export const VERIFIED_TOKENS_CAPACITY = 10_000;

/**
 * Access tokens the JwtStrategy (Passport) accepted, so that a token's signature and claims are
 * checked once, not on every request: the whole guard costs ~0.018 ms of CPU per request through
 * passport-jwt + jsonwebtoken, ~0.002 ms on a hit here (test/bench/auth-guard.bench.ts, user
 * directory answering from memory). Only tokens Passport accepted are
 * remembered, under their exact bytes; the time window (`exp`, `nbf`) is checked again on every use,
 * and the user (active, same token generation) is loaded on every use as well — this remembers the
 * token, never the caller.
 */
@Injectable()
export class VerifiedTokens {
  private readonly claims = new Map<string, VerifiedClaims>();

  remember(token: string, claims: VerifiedClaims): void {
    if (this.claims.has(token)) return;
    if (this.claims.size >= VERIFIED_TOKENS_CAPACITY) this.claims.delete(this.claims.keys().next().value!);
    this.claims.set(token, claims);
  }

  /** The claims of a token Passport accepted before, when still within its time window at `nowSeconds`. */
  recall(token: string, nowSeconds: number): VerifiedClaims | undefined {
    const claims = this.claims.get(token);
    if (claims === undefined) return undefined;
    if (withinWindow(claims, nowSeconds)) return claims;
    if (nowSeconds >= claims.exp) this.claims.delete(token);
    return undefined;
  }

  get size(): number {
    return this.claims.size;
  }
}
