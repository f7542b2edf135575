import { Sql } from '../database/database.service';
import { Role } from '../shared/auth/role';

// Every SQL string of the refresh_tokens table (migration 20261206100000).

/** A stored refresh token with what its holder may become: the user as they are now. */
export interface RefreshTokenRow {
  id: string;
  familyId: string;
  userId: string;
  /** The user's token generation when the family began. */
  userTokenGeneration: number;
  expired: boolean;
  used: boolean;
  revoked: boolean;
  userActive: boolean;
  userGeneration: number;
  role: Role;
  organizationId: string | null;
}

export interface NewRefreshToken {
  id: string;
  familyId: string;
  userId: string;
  tokenHash: string;
  userTokenGeneration: number;
  ttlSeconds: number;
}

export const refreshTokenRepository = {
  async insert(sql: Sql, t: NewRefreshToken): Promise<void> {
    await sql.query(
      `insert into refresh_tokens (id, family_id, user_id, token_hash, user_token_generation, expires_at)
       values (?, ?, ?, ?, ?, now() + make_interval(secs => ?))`,
      [t.id, t.familyId, t.userId, t.tokenHash, t.userTokenGeneration, t.ttlSeconds],
    );
  },

  /**
   * The token with this hash, its row locked until the transaction ends (two refreshes of one token
   * take turns: the second sees the first's `used_at`), and its user.
   */
  async findForUpdate(sql: Sql, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await sql.query<RefreshTokenRow>(
      `select t.id, t.family_id as "familyId", t.user_id as "userId", t.user_token_generation as "userTokenGeneration",
              t.expires_at <= now() as expired, t.used_at is not null as used, t.revoked_at is not null as revoked,
              u.active as "userActive", u.token_generation as "userGeneration", u.role, u.organization_id as "organizationId"
       from refresh_tokens t join users u on u.id = t.user_id
       where t.token_hash = ? for update of t`,
      [tokenHash],
    );
    return row;
  },

  async markUsed(sql: Sql, id: string): Promise<void> {
    await sql.query(`update refresh_tokens set used_at = now() where id = ?`, [id]);
  },

  /** Revokes every token of the family not revoked yet. */
  async revokeFamily(sql: Sql, familyId: string): Promise<void> {
    await sql.query(`update refresh_tokens set revoked_at = now() where family_id = ? and revoked_at is null`, [familyId]);
  },

  /** Forgets the user's tokens whose lifetime has passed (they can only be refused any more). */
  async deleteExpired(sql: Sql, userId: string): Promise<void> {
    await sql.query(`delete from refresh_tokens where user_id = ? and expires_at <= now()`, [userId]);
  },
};
