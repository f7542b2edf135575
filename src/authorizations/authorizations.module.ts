import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AuthorizationCap } from './authorization-cap.entity';
import { AuthorizationLine } from './authorization-line.entity';
import { Authorization } from './authorization.entity';
import { CapBucket } from './cap-bucket.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { Reservation } from './reservation.entity';
import { ReservationExpiry } from './reservation-expiry.entity';
import { AuthorizationsController } from './authorizations.controller';
import { AuthorizationDeadlines } from './authorization-deadlines.service';
import { AuthorizationsService } from './authorizations.service';
import { ExpirySweeper } from './expiry-sweeper.service';
import { ReservationsController } from './reservations.controller';
import { UnitHistoryService } from './unit-history.service';
import { UnitBatchExecutor } from './unit-batch-executor';
import { UnitOperationsService } from './unit-operations.service';
import { UnitWriteFaults } from './unit-write-faults';

@Module({
  imports: [MikroOrmModule.forFeature([Authorization, AuthorizationLine, AuthorizationCap, CapBucket, Reservation, ReservationExpiry, LedgerEntry])],
  controllers: [AuthorizationsController, ReservationsController],
  providers: [AuthorizationsService, UnitOperationsService, UnitBatchExecutor, UnitHistoryService, ExpirySweeper, AuthorizationDeadlines, UnitWriteFaults],
  exports: [ExpirySweeper, AuthorizationDeadlines],
})
export class AuthorizationsModule {}
