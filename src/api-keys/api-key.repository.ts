import { iso, Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope } from '../shared/auth/tenant-scope';
import { ApiKeyRole } from './api-key-rules';

// Every SQL string of the api_keys table (migration 20261206100100).

const COLUMNS = `id, name, role, organization_id as "organizationId", created_by as "createdBy", ${iso('created_at')} as "createdAt",
  case when last_used_at is null then null else ${iso('last_used_at')} end as "lastUsedAt"`;

export interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  organizationId: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** What a request made with a key acts as, when the key exists and its creator still stands behind it. */
export interface ApiKeyCaller {
  id: string;
  organizationId: string;
  role: ApiKeyRole;
  createdBy: string;
  creatorEmail: string;
  /** last_used_at is older than the resolution (or unset): this use should be written. */
  stale: boolean;
}

/** lastUsedAt is written at most once per this many seconds per key. */
export const LAST_USED_RESOLUTION_SECONDS = 60;

export const apiKeyRepository = {
  /** Inserts the key with its creator's current token generation; undefined if the creator is not an active user any more. */
  async insert(
    sql: Sql,
    k: { id: string; organizationId: string; name: string; role: ApiKeyRole; keyHash: string; createdBy: string },
  ): Promise<ApiKeyRow | undefined> {
    const [row] = await sql.query<ApiKeyRow>(
      `insert into api_keys (id, organization_id, name, role, key_hash, created_by, creator_token_generation)
       select ?, ?, ?, ?, ?, u.id, u.token_generation from users u where u.id = ? and u.active
       returning ${COLUMNS}`,
      [k.id, k.organizationId, k.name, k.role, k.keyHash, k.createdBy],
    );
    return row;
  },

  /** The keys the caller may see, in id order; `organizationId` narrows further (a SUPER_ADMIN's filter). */
  list(sql: Sql, caller: AuthUser, organizationId?: string): Promise<ApiKeyRow[]> {
    const scope = tenantScope(caller, 'organization_id');
    const filter = organizationId !== undefined ? { sql: ' and organization_id = ?', params: [organizationId] } : { sql: '', params: [] };
    return sql.query<ApiKeyRow>(`select ${COLUMNS} from api_keys where true${scope.sql}${filter.sql} order by id`, [...scope.params, ...filter.params]);
  },

  /** Deletes the key if the caller may see it; whether it did. */
  async delete(sql: Sql, caller: AuthUser, id: string): Promise<boolean> {
    const scope = tenantScope(caller, 'organization_id');
    const rows = await sql.query(`delete from api_keys where id = ?${scope.sql} returning id`, [id, ...scope.params]);
    return rows.length > 0;
  },

  /**
   * The key with this hash whose creator is active at the token generation the key was made
   * under: one primary-key-sized index lookup and a join on users' primary key, on every request
   * (prepared), so that a deleted key or a deactivated creator is refused at once on every instance.
   */
  async findCaller(sql: Sql, keyHash: string): Promise<ApiKeyCaller | undefined> {
    const [row] = await sql.query<ApiKeyCaller>(
      `select k.id, k.organization_id as "organizationId", k.role, k.created_by as "createdBy", u.email as "creatorEmail",
              (k.last_used_at is null or k.last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})) as stale
       from api_keys k join users u on u.id = k.created_by
       where k.key_hash = ? and u.active and u.token_generation = k.creator_token_generation`,
      [keyHash],
      { prepare: true },
    );
    return row;
  },

  /** Records a use, unless one was recorded within the resolution (concurrent requests write once). */
  async touch(sql: Sql, id: string): Promise<void> {
    await sql.query(
      `update api_keys set last_used_at = now()
       where id = ? and (last_used_at is null or last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`,
      [id],
      { prepare: true },
    );
  },
};
