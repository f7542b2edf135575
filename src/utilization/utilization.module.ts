import { Module } from '@nestjs/common';
import { UtilizationController } from './utilization.controller';
import { UtilizationService } from './utilization.service';

/** SPEC §10 "Utilization" (issue 14 point 7): reads only, in plain SQL through Database (DatabaseModule is global). */
@Module({
  controllers: [UtilizationController],
  providers: [UtilizationService],
})
export class UtilizationModule {}
