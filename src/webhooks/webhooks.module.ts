import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { WebhookClock } from './webhook-clock';
import { WebhookDeliveryLoop } from './webhook-delivery-loop.service';
import { WebhookDelivery, WebhookDispatchCursor } from './webhook-delivery.entity';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookWorker } from './webhook-worker.service';
import { webhookResolverProvider, WebhookUrlPolicy } from './webhook-url.policy';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * SPEC §11 webhooks: registration and the delivery log (the controller), URL policy against SSRF,
 * signatures and the retry schedule (pure, beside it), and delivery: the dispatcher (events →
 * deliveries), the worker (attempts) and the loop that runs both on every instance.
 */
@Module({
  imports: [MikroOrmModule.forFeature([WebhookEndpoint, WebhookDelivery, WebhookDispatchCursor])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookUrlPolicy, webhookResolverProvider, WebhookClock, WebhookDispatcher, WebhookWorker, WebhookDeliveryLoop],
  exports: [WebhookUrlPolicy],
})
export class WebhooksModule {}
