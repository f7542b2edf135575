import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { IDEMPOTENT_ANSWERS, IdempotentAnswers } from '../shared/idempotency/idempotent-answers';
import { IdempotencyKey } from './idempotency-key.entity';
import { idempotencyRepository } from './idempotency.repository';

const answers: IdempotentAnswers = idempotencyRepository;

/**
 * Stored answers to requests sent with an Idempotency-Key (SPEC §5): the idempotency_keys table.
 * Global, because the unit of work (shared/transactions) uses them through IDEMPOTENT_ANSWERS.
 */
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyKey])],
  providers: [{ provide: IDEMPOTENT_ANSWERS, useValue: answers }],
  exports: [IDEMPOTENT_ANSWERS],
})
export class IdempotencyModule {}
