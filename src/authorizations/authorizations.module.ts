import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Authorization } from './authorization.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { Reservation } from './reservation.entity';
import { ReservationExpiry } from './reservation-expiry.entity';
import { AuthorizationsController } from './authorizations.controller';
import { AuthorizationsService } from './authorizations.service';
import { ExpirySweeper } from './expiry-sweeper.service';
import { ReservationsController } from './reservations.controller';
import { UnitHistoryService } from './unit-history.service';
import { UnitBatchExecutor } from './unit-batch-executor';
import { UnitOperationsService } from './unit-operations.service';
import { UnitWriteFaults } from './unit-write-faults';

@Module({
  imports: [MikroOrmModule.forFeature([Authorization, Reservation, ReservationExpiry, LedgerEntry])],
  controllers: [AuthorizationsController, ReservationsController],
  providers: [AuthorizationsService, UnitOperationsService, UnitBatchExecutor, UnitHistoryService, ExpirySweeper, UnitWriteFaults],
  exports: [ExpirySweeper],
})
export class AuthorizationsModule {}
