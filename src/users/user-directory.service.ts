import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { User } from './user.entity';

/** A deactivated or changed user is seen within this time on every instance (SPEC: within 60 s). */
export const USER_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** An active user and the token generation their tokens must carry (see User.tokenGeneration). */
export interface ActiveUser {
  user: AuthUser;
  tokenGeneration: number;
}

/**
 * Who a token's subject is right now: role, organization and whether still active come from the
 * database, cached briefly so that authentication costs no query on most requests.
 */
@Injectable()
export class UserDirectory {
  private readonly cache = new Map<string, { user: ActiveUser | null; expiresAt: number }>();

  constructor(private readonly em: EntityManager) {}

  async findActive(id: string): Promise<ActiveUser | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > now) return hit.user;
    const row = await this.em.fork().findOne(User, { id }, { fields: ['id', 'email', 'role', 'organizationId', 'active', 'tokenGeneration'] });
    const user =
      row && row.active
        ? { user: { id: row.id, email: row.email, role: row.role, organizationId: row.organizationId }, tokenGeneration: row.tokenGeneration }
        : null;
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(id, { user, expiresAt: now + USER_CACHE_TTL_MS });
    return user;
  }

  /** This instance sees its own changes at once; others within the TTL. */
  forget(id: string): void {
    this.cache.delete(id);
  }
}
