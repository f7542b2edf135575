import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { ALL_ROLES, MANAGERS, UNIT_OPERATORS } from '../shared/auth/role';
import { IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Idempotency } from '../shared/http/idempotency-key.decorator';
import { reply } from '../shared/http/reply';
import { uuidParam } from '../shared/http/uuid-param';
import { CountedAs } from '../shared/transactions/unit-operation';
import { PageQuery } from '../shared/http/page-query';
import { AuthorizationPage, AuthorizationResponse, CreateAuthorizationDto, CreateLineDto, ListAuthorizationsQuery, UpdateAuthorizationDto, UpdateLineDto } from './authorization.dto';
import { AuthorizationsService } from './authorizations.service';
import { CreateReservationDto, LedgerPage, ListReservationsQuery, ReservationPage, UnitOperationResponse } from './reservation.dto';
import { UnitHistoryService } from './unit-history.service';
import { UnitOperationsService } from './unit-operations.service';

const authorizationId = uuidParam('Authorization');
const lineId = uuidParam('Line');

@ApiTags('authorizations')
@ApiBearerAuth()
@Controller('authorizations')
export class AuthorizationsController {
  constructor(
    private readonly authorizations: AuthorizationsService,
    private readonly units: UnitOperationsService,
    private readonly history: UnitHistoryService,
  ) {}

  @Post()
  @Roles(...MANAGERS)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: AuthorizationResponse })
  async create(
    @CurrentUser() caller: AuthUser,
    @Body() body: CreateAuthorizationDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthorizationResponse> {
    return reply(res, await this.authorizations.create(caller, body, idempotency));
  }

  @Get()
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: AuthorizationPage })
  list(@CurrentUser() caller: AuthUser, @Query() query: ListAuthorizationsQuery): Promise<AuthorizationPage> {
    return this.authorizations.list(caller, query);
  }

  @Get(':id')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: AuthorizationResponse })
  get(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string): Promise<AuthorizationResponse> {
    return this.authorizations.get(caller, id);
  }

  @Patch(':id')
  @Roles(...MANAGERS)
  @CountedAs('adjust')
  @ApiOkResponse({ type: AuthorizationResponse })
  update(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string, @Body() body: UpdateAuthorizationDto): Promise<AuthorizationResponse> {
    return this.authorizations.update(caller, id, body);
  }

  @Post(':id/lines')
  @Roles(...MANAGERS)
  @CountedAs('adjust')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: AuthorizationResponse })
  async addLine(
    @CurrentUser() caller: AuthUser,
    @Param('id', authorizationId) id: string,
    @Body() body: CreateLineDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthorizationResponse> {
    return reply(res, await this.authorizations.addLine(caller, id, body, idempotency));
  }

  @Patch(':id/lines/:lineId')
  @Roles(...MANAGERS)
  @CountedAs('adjust')
  @ApiOkResponse({ type: AuthorizationResponse })
  updateLine(
    @CurrentUser() caller: AuthUser,
    @Param('id', authorizationId) id: string,
    @Param('lineId', lineId) line: string,
    @Body() body: UpdateLineDto,
  ): Promise<AuthorizationResponse> {
    return this.authorizations.updateLine(caller, id, line, body);
  }

  @Delete(':id')
  @Roles(...MANAGERS)
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string): Promise<void> {
    return this.authorizations.remove(caller, id);
  }

  @Post(':id/reservations')
  @CountedAs('reserve')
  @Roles(...UNIT_OPERATORS)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: UnitOperationResponse })
  async reserve(
    @CurrentUser() caller: AuthUser,
    @Param('id', authorizationId) id: string,
    @Body() body: CreateReservationDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UnitOperationResponse> {
    return reply(res, await this.units.reserve(caller, id, body, idempotency));
  }

  @Get(':id/reservations')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: ReservationPage })
  reservations(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string, @Query() query: ListReservationsQuery): Promise<ReservationPage> {
    return this.history.reservations(caller, id, query);
  }

  @Get(':id/ledger')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: LedgerPage })
  ledger(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string, @Query() query: PageQuery): Promise<LedgerPage> {
    return this.history.ledger(caller, id, query);
  }
}
