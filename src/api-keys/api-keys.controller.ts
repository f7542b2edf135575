import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { MANAGERS, superAdminFilter } from '../shared/auth/role';
import { uuidParam } from '../shared/http/uuid-param';
import { ApiKeyList, CreateApiKeyDto, CreatedApiKeyResponse, ListApiKeysQuery } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api-keys')
@Roles(...MANAGERS)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key for a machine client; the key is in this answer only' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    return this.keys.create(caller, body);
  }

  @Get()
  @ApiOperation({ summary: "The organization's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyList })
  async list(@CurrentUser() caller: AuthUser, @Query() query: ListApiKeysQuery): Promise<ApiKeyList> {
    return { items: await this.keys.list(caller, superAdminFilter(caller.role, 'organizationId', query.organizationId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: refused from the next request on, on every instance' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('API key')) id: string): Promise<void> {
    await this.keys.revoke(caller, id);
  }
}
