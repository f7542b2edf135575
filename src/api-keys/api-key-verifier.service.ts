import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { apiKeyHash, isWellFormedApiKey } from './api-key-rules';
import { apiKeyRepository } from './api-key.repository';

/**
 * Who an API key acts as, for the Passport strategy (src/auth/api-key.strategy.ts). No cache: each
 * request reads its key's row (a prepared index lookup), so a DELETE on any instance is refused by
 * every instance on the very next request, and so is a key whose creator was deactivated. The one
 * write, lastUsedAt, happens at most once a minute per key.
 */
@Injectable()
export class ApiKeyVerifier {
  constructor(private readonly database: Database) {}

  /** The caller for `key`, or null when it is malformed, unknown, deleted or its creator's tokens ended. */
  async callerOf(key: string): Promise<AuthUser | null> {
    if (!isWellFormedApiKey(key)) return null;
    const found = await apiKeyRepository.findCaller(this.database, apiKeyHash(key));
    if (!found) return null;
    if (found.stale) await apiKeyRepository.touch(this.database, found.id);
    return { id: found.createdBy, email: found.creatorEmail, role: found.role, organizationId: found.organizationId, apiKeyId: found.id };
  }
}
