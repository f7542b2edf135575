import { Injectable } from '@nestjs/common';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { EntityManager } from '@mikro-orm/postgresql';
import { iso } from '../database/database.service';
import { newId } from '../shared/ids';
import { Organization } from './organization.entity';
import { OrganizationResponse } from './organization.dto';

const present = (o: Organization): OrganizationResponse => ({ id: o.id, name: o.name, createdAt: new Date(o.createdAt).toISOString() });

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly em: EntityManager,
  ) {}

  create(name: string, idempotency?: IdempotencyContext): Promise<Outcome<OrganizationResponse>> {
    return this.uow.run(async (tx) => {
      const [row] = await tx.query<Organization>(`insert into organizations (id, name) values (?, ?) returning id, name, ${iso('created_at')} as "createdAt"`, [newId(), name]);
      return present(row);
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
