import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { hashPassword } from './password';
import { Role } from '../shared/auth/role';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { iso } from '../database/database.service';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../database/pg-errors';
import { newId } from '../shared/ids';
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
  createdAt: new Date(u.createdAt).toISOString(),
});

const USER_COLUMNS = `id, email, role, organization_id as "organizationId", active, ${iso('created_at')} as "createdAt"`;

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
        if (organizationId && !(await tx.query('select 1 from organizations where id = ?', [organizationId])).length) throw new NotFoundError('Organization');
        const [user] = await tx.query<User>(
          `insert into users (id, email, password_hash, role, organization_id) values (?, ?, ?, ?, ?) returning ${USER_COLUMNS}`,
          [newId(), dto.email.trim().toLowerCase(), passwordHash, dto.role, organizationId],
        );
        return presentUser(user);
      }, idempotency);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION && constraintName(error) === 'users_email_key') throw new EmailTakenError();
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
      const scope = caller.role === Role.SUPER_ADMIN ? '' : ' and organization_id = ?';
      const scopeParams = caller.role === Role.SUPER_ADMIN ? [] : [caller.organizationId];
      const [user] = await tx.query<User>(`select ${USER_COLUMNS} from users where id = ?${scope}`, [id, ...scopeParams]);
      if (!user) throw new NotFoundError('User');
      checkUserUpdate(caller, user, dto);
      const role = dto.role ?? user.role;
      const active = dto.active ?? user.active;
      // Deactivation and a role change end every token issued before them, for good: the
      // generation the tokens carry no longer matches (decided on the row's values of this UPDATE,
      // so a concurrent change cannot slip between a read and the write).
      const [updated] = await tx.query<User>(
        `update users set role = ?, active = ?,
           token_generation = token_generation + case when (active and not ?::boolean) or role <> ? then 1 else 0 end,
           updated_at = now()
         where id = ? returning ${USER_COLUMNS}`,
        [role, active, active, role, id],
      );
      return presentUser(updated);
    });
    this.directory.forget(id);
    return value;
  }
}
