import { isUuid } from '../shared/ids';
import { UserDirectory } from '../users/user-directory.service';
import { AuthUser } from '../shared/auth/auth-user';
import { Role } from '../shared/auth/role';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  org: string | null;
  /** The user's token generation when the token was issued; missing counts as 0 (tokens issued before it existed). */
  gen: number;
  /** Set by the signer (JWT_EXPIRES_IN); required when verifying. */
  exp?: number;
}

/** What an access token says once its signature, algorithm, issuer and audience were verified. */
export interface VerifiedClaims {
  sub: string;
  exp: number;
  nbf?: number;
  /** The user's token generation when the token was issued (missing: 0); must equal the user's current one. */
  gen: number;
}

const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer …` header value; undefined for anything else. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The checks jsonwebtoken does not make, on a token whose signature it verified (HS256 pinned, `iss`,
 * `aud`, `exp` and `nbf` when present); undefined when the token is refused:
 * - a header with `crit` (RFC 7515 §4.1.11: a recipient refuses critical extensions it does not
 *   understand — none is understood here, so any `crit`, even the invalid empty list, is refused);
 * - no `exp` (jsonwebtoken accepts a token without one: it would never expire);
 * - no numeric `iat`, or `exp − iat` above `lifetimeSeconds` (JWT_EXPIRES_IN): the service issues
 *   every token with `iat` and that lifetime, so a longer one was not made by it;
 * - a subject that is not a UUID (it is looked up in the database), a `gen` that is not a
 *   non-negative integer.
 */
export function acceptedClaims(header: unknown, payload: unknown, lifetimeSeconds: number): VerifiedClaims | undefined {
  if (!isObject(header) || header.alg !== 'HS256' || 'crit' in header) return undefined;
  if (!isObject(payload)) return undefined;
  const { exp, nbf, iat, sub, gen } = payload;
  if (typeof exp !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) return undefined;
  if (typeof iat !== 'number' || exp - iat > lifetimeSeconds) return undefined;
  if (typeof sub !== 'string' || !isUuid(sub)) return undefined;
  if (gen !== undefined && !(typeof gen === 'number' && Number.isSafeInteger(gen) && gen >= 0)) return undefined;
  return { sub, exp, nbf: nbf as number | undefined, gen: (gen as number | undefined) ?? 0 };
}

/** Whether `nowSeconds` (whole seconds, as jsonwebtoken counts) is within the token's `nbf` … `exp`. */
export const withinWindow = (claims: VerifiedClaims, nowSeconds: number): boolean =>
  nowSeconds < claims.exp && (claims.nbf === undefined || claims.nbf <= nowSeconds);

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The caller a verified token names: an active user (from the database, briefly cached) still at
 * the token generation the token was issued under — deactivation and role changes move the user to
 * a new generation and so end every older token, for good (issue 11 point 7).
 */
export async function callerOf(users: UserDirectory, claims: VerifiedClaims): Promise<AuthUser | null> {
  const found = await users.findActive(claims.sub);
  return found && found.tokenGeneration === claims.gen ? found.user : null;
}
