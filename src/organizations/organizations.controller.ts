import { Body, Controller, Get, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { MANAGERS, Role } from '../shared/auth/role';
import { IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Idempotency } from '../shared/http/idempotency-key.decorator';
import { reply } from '../shared/http/reply';
import { uuidParam } from '../shared/http/uuid-param';
import { CreateOrganizationDto, OrganizationList, OrganizationResponse, UpdateOrganizationDto } from './organization.dto';
import { OrganizationsService } from './organizations.service';

const organizationId = uuidParam('Organization');

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @Roles(Role.SUPER_ADMIN)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: OrganizationResponse })
  async create(
    @Body() body: CreateOrganizationDto,
    @Idempotency() idempotency: IdempotencyContext | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrganizationResponse> {
    return reply(res, await this.organizations.create(body.name, idempotency));
  }

  @Get()
  @Roles(Role.SUPER_ADMIN)
  @ApiOkResponse({ type: OrganizationList })
  async list(): Promise<OrganizationList> {
    return { items: await this.organizations.list() };
  }

  /** SUPER_ADMIN: any organization; ADMIN: their own (another one is 404). */
  @Get(':id')
  @Roles(...MANAGERS)
  @ApiOkResponse({ type: OrganizationResponse })
  get(@CurrentUser() caller: AuthUser, @Param('id', organizationId) id: string): Promise<OrganizationResponse> {
    return this.organizations.get(caller, id);
  }

  /** The organization's settings (SPEC §10, §11). SUPER_ADMIN: any organization; ADMIN: their own (another one is 404). */
  @Patch(':id')
  @Roles(...MANAGERS)
  @ApiOkResponse({ type: OrganizationResponse })
  update(@CurrentUser() caller: AuthUser, @Param('id', organizationId) id: string, @Body() body: UpdateOrganizationDto): Promise<OrganizationResponse> {
    return this.organizations.update(caller, id, body);
  }
}
