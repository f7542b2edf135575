import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { webhookResolverProvider, WebhookUrlPolicy } from './webhook-url.policy';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** SPEC §11 webhooks: registration (this module), URL policy against SSRF, signatures and the retry schedule (pure, beside it). */
@Module({
  imports: [MikroOrmModule.forFeature([WebhookEndpoint])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookUrlPolicy, webhookResolverProvider],
  exports: [WebhookUrlPolicy],
})
export class WebhooksModule {}
