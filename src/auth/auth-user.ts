import { Role } from './role';

/** The caller, as the guards established it: loaded from the database (briefly cached), not from token claims. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
}

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  org: string | null;
  /** The user's token generation when the token was issued; missing counts as 0 (tokens issued before it existed). */
  gen: number;
  /** Set by the signer (JWT_EXPIRES_IN); required when verifying. */
  exp?: number;
}
