import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../database/pg-errors';
import { organizationRepository } from '../organizations/organization.repository';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError } from '../shared/errors/api-error';
import { EmailTakenError } from '../shared/errors/business-errors';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { newId } from '../shared/ids';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { hashPassword } from './password';
import { CreateUserDto, UpdateUserDto, UserResponse } from './user.dto';
import { UserDirectory } from './user-directory.service';
import { userRepository, UserRow } from './user.repository';
import { checkUserUpdate, organizationForNewUser } from './user-rules';

export const presentUser = (u: UserRow): UserResponse => ({
  id: u.id,
  email: u.email,
  role: u.role,
  organizationId: u.organizationId,
  active: u.active,
  createdAt: u.createdAt,
});

@Injectable()
export class UsersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly directory: UserDirectory,
  ) {}

  async create(caller: AuthUser, dto: CreateUserDto, idempotency?: IdempotencyContext): Promise<Outcome<UserResponse>> {
    const organizationId = organizationForNewUser(caller, dto.role, dto.organizationId);
    const passwordHash = await hashPassword(dto.password);
    try {
      return await this.uow.run(async (tx) => {
        if (organizationId && !(await organizationRepository.exists(tx, organizationId))) throw new NotFoundError('Organization');
        const user = await userRepository.insert(tx, { id: newId(), email: dto.email.trim().toLowerCase(), passwordHash, role: dto.role, organizationId });
        return presentUser(user);
      }, idempotency);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION && constraintName(error) === 'users_email_key') throw new EmailTakenError();
      throw error;
    }
  }

  /** Users an ADMIN sees are those of their organization; a SUPER_ADMIN sees all, or one organization's. */
  async list(caller: AuthUser, organizationId?: string): Promise<UserResponse[]> {
    return (await userRepository.list(this.database, caller, organizationId)).map(presentUser);
  }

  async update(caller: AuthUser, id: string, dto: UpdateUserDto): Promise<UserResponse> {
    const { value } = await this.uow.run(async (tx) => {
      const user = await userRepository.findVisible(tx, caller, id);
      if (!user) throw new NotFoundError('User');
      checkUserUpdate(caller, user, dto);
      return presentUser(await userRepository.updateRoleAndActive(tx, id, dto.role ?? user.role, dto.active ?? user.active));
    });
    this.directory.forget(id);
    return value;
  }
}
