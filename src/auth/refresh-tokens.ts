import { createHash, randomBytes } from 'node:crypto';
import { Sql } from '../database/database.service';
import { ApiError } from '../shared/errors/api-error';
import { newId } from '../shared/ids';
import { Role } from '../shared/auth/role';
import { refreshTokenRepository } from './refresh-token.repository';

/** A refresh token: `ulr_` and 256 random bits, base64url (43 characters). */
const REFRESH_TOKEN = /^ulr_[A-Za-z0-9_-]{43}$/;
export const REFRESH_TOKEN_PREFIX = 'ulr_';

/** Unknown, expired, revoked, used before (reuse) or of a user whose tokens ended: one answer for all. */
export class InvalidRefreshTokenError extends ApiError {
  constructor() {
    super(401, 'INVALID_REFRESH_TOKEN', 'The refresh token is unknown, expired or revoked');
  }
}

/** SHA-256 (hex) of a random token: enough for 256 random bits (a slow hash is for passwords). */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export const newRefreshToken = (): string => `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export const isWellFormedRefreshToken = (token: string): boolean => REFRESH_TOKEN.test(token);

/** Who a refresh was granted to, as the new access token must name them. */
export interface RefreshedUser {
  id: string;
  role: Role;
  organizationId: string | null;
  tokenGeneration: number;
}

export type Rotation = { refused: true } | { refused: false; user: RefreshedUser; refreshToken: string };

/** Issues a token of `familyId` (a new family for a login) to the user; the token itself is returned, never stored. */
export async function issueRefreshToken(
  tx: Sql,
  user: { id: string; tokenGeneration: number },
  ttlSeconds: number,
  familyId: string = newId(),
): Promise<string> {
  const token = newRefreshToken();
  await refreshTokenRepository.insert(tx, { id: newId(), familyId, userId: user.id, tokenHash: tokenHash(token), userTokenGeneration: user.tokenGeneration, ttlSeconds });
  return token;
}

/**
 * One refresh, inside the caller's transaction (SPEC §11): the presented token is marked used and
 * the next one of its family issued. A token used before is a reuse — someone holds a copy — and
 * revokes the whole family; so does a user who is no longer active or whose token generation moved
 * (deactivated, role changed). A refusal that revokes must still commit: it is returned, not thrown.
 */
export async function rotateRefreshToken(tx: Sql, token: string, ttlSeconds: number): Promise<Rotation> {
  if (!isWellFormedRefreshToken(token)) return { refused: true };
  const row = await refreshTokenRepository.findForUpdate(tx, tokenHash(token));
  if (!row || row.revoked) return { refused: true };
  if (row.used || !row.userActive || row.userGeneration !== row.userTokenGeneration) {
    await refreshTokenRepository.revokeFamily(tx, row.familyId);
    return { refused: true };
  }
  if (row.expired) return { refused: true };
  await refreshTokenRepository.markUsed(tx, row.id);
  await refreshTokenRepository.deleteExpired(tx, row.userId);
  const user = { id: row.userId, role: row.role, organizationId: row.organizationId, tokenGeneration: row.userGeneration };
  return { refused: false, user, refreshToken: await issueRefreshToken(tx, user, ttlSeconds, row.familyId) };
}

/** Logout: revokes the token's family; false when no such token was ever issued. */
export async function revokeRefreshToken(tx: Sql, token: string): Promise<boolean> {
  if (!isWellFormedRefreshToken(token)) return false;
  const row = await refreshTokenRepository.findForUpdate(tx, tokenHash(token));
  if (!row) return false;
  await refreshTokenRepository.revokeFamily(tx, row.familyId);
  return true;
}
