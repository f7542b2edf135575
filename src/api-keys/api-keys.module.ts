import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ApiKey } from './api-key.entity';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/** SPEC §11 machine clients: /api/v1/api-keys, and the lookup the API-key Passport strategy (auth/) uses. */
@Module({
  imports: [MikroOrmModule.forFeature([ApiKey])],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyVerifier],
  exports: [ApiKeyVerifier],
})
export class ApiKeysModule {}
