import { Body, Controller, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { ALL_ROLES, Role, UNIT_OPERATORS } from '../shared/auth/role';
import { IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Idempotency } from '../shared/http/idempotency-key.decorator';
import { reply } from '../shared/http/reply';
import { uuidParam } from '../shared/http/uuid-param';
import { CountedAs } from '../shared/transactions/unit-operation';
import { ConsumeReservationDto, MoveReservationDto, ReservationResponse, ReserveForPatientDto, UnitOperationResponse } from './reservation.dto';
import { UnitHistoryService } from './unit-history.service';
import { UnitOperationsService } from './unit-operations.service';

const reservationId = uuidParam('Reservation');

@ApiTags('reservations')
@ApiBearerAuth()
@Controller('reservations')
export class ReservationsController {
  constructor(
    private readonly units: UnitOperationsService,
    private readonly history: UnitHistoryService,
  ) {}

  @Post()
  @CountedAs('reserve')
  @Roles(Role.ADMIN, Role.PRACTITIONER)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: UnitOperationResponse, description: 'On the authorization ending first (then the oldest) where it fits every limit; 409 NO_AUTHORIZATION_AVAILABLE lists the candidates' })
  async reserveForPatient(
    @CurrentUser() caller: AuthUser,
    @Body() body: ReserveForPatientDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UnitOperationResponse> {
    return reply(res, await this.units.reserveForPatient(caller, body, idempotency));
  }

  @Get(':id')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: ReservationResponse })
  get(@CurrentUser() caller: AuthUser, @Param('id', reservationId) id: string): Promise<ReservationResponse> {
    return this.history.reservation(caller, id);
  }

  @Patch(':id')
  @CountedAs('reserve')
  @Roles(...UNIT_OPERATORS)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: UnitOperationResponse, description: 'Moved: ledger RELEASE of the old hold and RESERVE of the new one; 409 with the refusal when it does not fit, nothing changed' })
  async move(
    @CurrentUser() caller: AuthUser,
    @Param('id', reservationId) id: string,
    @Body() body: MoveReservationDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UnitOperationResponse> {
    return reply(res, await this.units.move(caller, id, body, idempotency));
  }

  @Post(':id/consume')
  @CountedAs('consume')
  @HttpCode(200)
  @Roles(...UNIT_OPERATORS)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ type: ConsumeReservationDto, required: false })
  @ApiOkResponse({ type: UnitOperationResponse })
  async consume(
    @CurrentUser() caller: AuthUser,
    @Param('id', reservationId) id: string,
    @Body() body: ConsumeReservationDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UnitOperationResponse> {
    return reply(res, await this.units.consume(caller, id, body.units, idempotency));
  }

  @Post(':id/release')
  @CountedAs('release')
  @HttpCode(200)
  @Roles(...UNIT_OPERATORS)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: UnitOperationResponse })
  async release(
    @CurrentUser() caller: AuthUser,
    @Param('id', reservationId) id: string,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UnitOperationResponse> {
    return reply(res, await this.units.release(caller, id, idempotency));
  }
}
