import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { superAdminFilter } from '../shared/auth/role';
import { NotFoundError } from '../shared/errors/api-error';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid } from '../shared/ids';
import { ListUtilizationQuery, UtilizationResponse } from './utilization.dto';
import { utilizationRepository } from './utilization.repository';

/**
 * SPEC §10 "Utilization": every figure, flag and bucket is computed by the database, one statement
 * per answer (utilization.repository.ts). "Today" is each organization's local date at one instant,
 * read here once per request and passed to the statement.
 */
@Injectable()
export class UtilizationService {
  constructor(private readonly database: Database) {}

  /** Another organization's authorization is not found (404), like the rest of the API. */
  async get(caller: AuthUser, id: string): Promise<UtilizationResponse> {
    const found = await utilizationRepository.findVisible(this.database, caller, id, new Date().toISOString());
    if (!found) throw new NotFoundError('Authorization');
    return found;
  }

  async list(caller: AuthUser, query: ListUtilizationQuery): Promise<Page<UtilizationResponse>> {
    const organizationId = superAdminFilter(caller.role, 'organizationId', query.organizationId);
    const after = decodeCursor(query.cursor, isUuid);
    const rows = await utilizationRepository.list(this.database, caller, new Date().toISOString(), {
      organizationId,
      patientId: query.patientId,
      flag: query.flag,
      endingWithinDays: query.endingWithinDays,
      after: after?.toLowerCase(),
      limit: query.limit,
    });
    return toPage(rows, query.limit, (u) => u.authorizationId);
  }
}
