import { Body, Controller, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { MANAGERS, superAdminFilter } from '../shared/auth/role';
import { IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Idempotency } from '../shared/http/idempotency-key.decorator';
import { uuidParam } from '../shared/http/uuid-param';
import { reply } from '../shared/http/reply';
import { CreateUserDto, ListUsersQuery, UpdateUserDto, UserList, UserResponse } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
@Roles(...MANAGERS)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: UserResponse })
  async create(
    @CurrentUser() caller: AuthUser,
    @Body() body: CreateUserDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UserResponse> {
    return reply(res, await this.users.create(caller, body, idempotency));
  }

  @Get()
  @ApiOkResponse({ type: UserList })
  async list(@CurrentUser() caller: AuthUser, @Query() query: ListUsersQuery): Promise<UserList> {
    return { items: await this.users.list(caller, superAdminFilter(caller.role, 'organizationId', query.organizationId)) };
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('User')) id: string, @Body() body: UpdateUserDto): Promise<UserResponse> {
    return this.users.update(caller, id, body);
  }
}
