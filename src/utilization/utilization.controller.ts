import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { ALL_ROLES } from '../shared/auth/role';
import { uuidParam } from '../shared/http/uuid-param';
import { ListUtilizationQuery, UtilizationPage, UtilizationResponse } from './utilization.dto';
import { UtilizationService } from './utilization.service';

const authorizationId = uuidParam('Authorization');

/** SPEC §10 "Utilization": read-only reports for every role, within the caller's organization. */
@ApiTags('utilization')
@ApiBearerAuth()
@Controller()
export class UtilizationController {
  constructor(private readonly utilization: UtilizationService) {}

  @Get('authorizations/:id/utilization')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: UtilizationResponse })
  get(@CurrentUser() caller: AuthUser, @Param('id', authorizationId) id: string): Promise<UtilizationResponse> {
    return this.utilization.get(caller, id);
  }

  @Get('utilization')
  @Roles(...ALL_ROLES)
  @ApiOkResponse({ type: UtilizationPage })
  list(@CurrentUser() caller: AuthUser, @Query() query: ListUtilizationQuery): Promise<UtilizationPage> {
    return this.utilization.list(caller, query);
  }
}
