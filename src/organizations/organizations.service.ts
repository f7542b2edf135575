import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { newId } from '../shared/ids';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { OrganizationResponse } from './organization.dto';
import { Organization } from './organization.entity';
import { organizationRepository } from './organization.repository';

const present = (o: { id: string; name: string; createdAt: string | Date }): OrganizationResponse => ({
  id: o.id,
  name: o.name,
  createdAt: new Date(o.createdAt).toISOString(),
});

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly em: EntityManager,
  ) {}

  create(name: string, idempotency?: IdempotencyContext): Promise<Outcome<OrganizationResponse>> {
    return this.uow.run(async (tx) => present(await organizationRepository.insert(tx, newId(), name)), idempotency);
  }

  async list(): Promise<OrganizationResponse[]> {
    const rows = await this.em.fork().find(Organization, {}, { orderBy: { id: 'asc' } });
    return rows.map(present);
  }
}
