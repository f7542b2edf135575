import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { TRANSACTION_METRICS } from '../shared/transactions/transaction-metrics';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  // The retry service (shared/transactions) is fed through its TransactionMetrics interface.
  providers: [MetricsService, { provide: TRANSACTION_METRICS, useExisting: MetricsService }],
  exports: [MetricsService, TRANSACTION_METRICS],
})
export class MetricsModule {}
