import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { Role } from '../shared/auth/role';
import { uuidParam } from '../shared/http/uuid-param';
import { CreatedWebhookResponse, CreateWebhookDto, DeliveriesQuery, UpdateWebhookDto, WebhookDeliveryPage, WebhookList, WebhookResponse } from './webhook.dto';
import { WebhooksService } from './webhooks.service';

const webhookId = uuidParam('Webhook');

/** SPEC §11 "Webhooks": an ADMIN's endpoints, in their own organization. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
@Roles(Role.ADMIN)
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedWebhookResponse, description: 'The endpoint, with its signing secret in `secret`: shown this once' })
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateWebhookDto): Promise<CreatedWebhookResponse> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @ApiOkResponse({ type: WebhookList })
  async list(@CurrentUser() caller: AuthUser): Promise<WebhookList> {
    return { items: await this.webhooks.list(caller) };
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookResponse })
  get(@CurrentUser() caller: AuthUser, @Param('id', webhookId) id: string): Promise<WebhookResponse> {
    return this.webhooks.get(caller, id);
  }

  @Get(':id/deliveries')
  @ApiOkResponse({ type: WebhookDeliveryPage, description: "The endpoint's deliveries, oldest first" })
  deliveries(@CurrentUser() caller: AuthUser, @Param('id', webhookId) id: string, @Query() query: DeliveriesQuery): Promise<WebhookDeliveryPage> {
    return this.webhooks.deliveries(caller, id, query);
  }

  @Patch(':id')
  @ApiOkResponse({ type: WebhookResponse })
  update(@CurrentUser() caller: AuthUser, @Param('id', webhookId) id: string, @Body() body: UpdateWebhookDto): Promise<WebhookResponse> {
    return this.webhooks.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() caller: AuthUser, @Param('id', webhookId) id: string): Promise<void> {
    return this.webhooks.remove(caller, id);
  }
}
