import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { organizationRepository } from '../organizations/organization.repository';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError, UnauthorizedError } from '../shared/errors/api-error';
import { newId } from '../shared/ids';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { ApiKeyResponse, CreateApiKeyDto, CreatedApiKeyResponse } from './api-key.dto';
import { apiKeyHash, newApiKey, organizationForNewKey } from './api-key-rules';
import { apiKeyRepository, ApiKeyRow } from './api-key.repository';

const present = (k: ApiKeyRow): ApiKeyResponse => ({
  id: k.id,
  name: k.name,
  role: k.role,
  organizationId: k.organizationId,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
});

/**
 * SPEC §11 machine clients: keys made by an ADMIN (or a SUPER_ADMIN for an organization it names),
 * shown once, kept as their SHA-256. No Idempotency-Key: a stored answer would have to keep the key
 * itself; a client unsure whether its creation went through lists the keys and deletes the extra one.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
  ) {}

  async create(caller: AuthUser, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const organizationId = organizationForNewKey(caller, dto.role, dto.organizationId);
    const role = dto.role as ApiKeyRow['role'];
    const key = newApiKey();
    const { value } = await this.uow.run(async (tx) => {
      if (!(await organizationRepository.exists(tx, organizationId))) throw new NotFoundError('Organization');
      const row = await apiKeyRepository.insert(tx, { id: newId(), organizationId, name: dto.name, role, keyHash: apiKeyHash(key), createdBy: caller.id });
      // The caller was deactivated since their token was checked.
      if (!row) throw new UnauthorizedError();
      return row;
    });
    return { ...present(value), key };
  }

  async list(caller: AuthUser, organizationId?: string): Promise<ApiKeyResponse[]> {
    return (await apiKeyRepository.list(this.database, caller, organizationId)).map(present);
  }

  /** Deleted at once: every request looks its key up in the database, on every instance. */
  async revoke(caller: AuthUser, id: string): Promise<void> {
    const { value: deleted } = await this.uow.run((tx) => apiKeyRepository.delete(tx, caller, id));
    if (!deleted) throw new NotFoundError('API key');
  }
}
