import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { IdempotencyKey } from './idempotency-key.entity';

/** Stored answers to requests sent with an Idempotency-Key (SPEC §5): the idempotency_keys table. */
@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyKey])],
})
export class IdempotencyModule {}
