import { Injectable } from '@nestjs/common';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { EntityManager } from '@mikro-orm/postgresql';
import { Organization } from './organization.entity';
import { OrganizationResponse } from './organization.dto';

const present = (o: Organization): OrganizationResponse => ({ id: o.id, name: o.name, createdAt: o.createdAt });

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly em: EntityManager,
  ) {}

  create(name: string, idempotency?: IdempotencyContext): Promise<Outcome<OrganizationResponse>> {
    return this.uow.run(async (tx) => {
      const organization = tx.create(Organization, { name: name.trim() });
      await tx.flush();
      return present(organization);
    }, idempotency);
  }

  async list(): Promise<OrganizationResponse[]> {
    const rows = await this.em.fork().find(Organization, {}, { orderBy: { id: 'asc' } });
    return rows.map(present);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.em.fork().count(Organization, { id })) > 0;
  }
}
