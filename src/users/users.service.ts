import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { hashPassword } from '../auth/password';
import { Role } from '../auth/role';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { Organization } from '../organizations/organization.entity';
import { NotFoundError } from '../shared/errors/api-error';
import { EmailTakenError } from '../shared/errors/business-errors';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { CreateUserDto, UpdateUserDto, UserResponse } from './user.dto';
import { UserDirectory } from './user-directory.service';
import { User } from './user.entity';
import { checkUserUpdate, organizationForNewUser } from './user-rules';

export const presentUser = (u: User): UserResponse => ({
  id: u.id,
  email: u.email,
  role: u.role,
  organizationId: u.organizationId,
  active: u.active,
  createdAt: u.createdAt,
});

/** Users an ADMIN sees are those of their organization; a SUPER_ADMIN sees all. */
const visibleTo = (caller: AuthUser) => (caller.role === Role.SUPER_ADMIN ? {} : { organizationId: caller.organizationId });

@Injectable()
export class UsersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly em: EntityManager,
    private readonly directory: UserDirectory,
  ) {}

  async create(caller: AuthUser, dto: CreateUserDto, idempotency?: IdempotencyContext): Promise<Outcome<UserResponse>> {
    const organizationId = organizationForNewUser(caller, dto.role, dto.organizationId);
    const passwordHash = await hashPassword(dto.password);
    try {
      return await this.uow.run(async (tx) => {
        if (organizationId && !(await tx.count(Organization, { id: organizationId }))) throw new NotFoundError('Organization');
        const user = tx.create(User, { email: dto.email.trim().toLowerCase(), passwordHash, role: dto.role, organizationId });
        await tx.flush();
        return presentUser(user);
      }, idempotency);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
      throw error;
    }
  }

  async list(caller: AuthUser, organizationId?: string): Promise<UserResponse[]> {
    const where = caller.role === Role.SUPER_ADMIN ? (organizationId ? { organizationId } : {}) : visibleTo(caller);
    const users = await this.em.fork().find(User, where, { orderBy: { id: 'asc' } });
    return users.map(presentUser);
  }

  async update(caller: AuthUser, id: string, dto: UpdateUserDto): Promise<UserResponse> {
    const { value } = await this.uow.run(async (tx) => {
      const user = await tx.findOne(User, { id, ...visibleTo(caller) });
      if (!user) throw new NotFoundError('User');
      checkUserUpdate(caller, user, dto);
      if (dto.role !== undefined) user.role = dto.role;
      if (dto.active !== undefined) user.active = dto.active;
      await tx.flush();
      return presentUser(user);
    });
    this.directory.forget(id);
    return value;
  }
}
