import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { OutboxEvent } from './outbox-event.entity';

/**
 * SPEC §11 "Events" and "Change feed": the outbox table (written by the changes themselves, through
 * events.repository.ts, inside their own transactions) and GET /api/v1/events. Plain SQL through
 * Database (DatabaseModule is global); the entity describes the table.
 */
@Module({
  imports: [MikroOrmModule.forFeature([OutboxEvent])],
  controllers: [EventsController],
  providers: [EventsService],
})
export class EventsModule {}
