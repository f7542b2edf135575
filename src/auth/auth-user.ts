// Moved to src/shared/auth/auth-user.ts (AuthUser) and ./access-token-claims.ts (AccessTokenClaims);
// this re-export goes once the last importer is updated.
export type { AuthUser } from '../shared/auth/auth-user';
