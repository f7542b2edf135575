import { Body, Controller, Get, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../shared/auth/decorators';
import { Role } from '../shared/auth/role';
import { IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Idempotency } from '../shared/http/idempotency-key.decorator';
import { reply } from '../shared/http/reply';
import { CreateOrganizationDto, OrganizationList, OrganizationResponse } from './organization.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('organizations')
@Roles(Role.SUPER_ADMIN)
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
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
  @ApiOkResponse({ type: OrganizationList })
  async list(): Promise<OrganizationList> {
    return { items: await this.organizations.list() };
  }
}
