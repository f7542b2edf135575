import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuthModuleOptions } from '@nestjs/passport';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BootstrapAdmin } from './bootstrap-admin.service';
import { AUTH_STRATEGY_NAMES, authModuleOptions, authStrategyNames } from './auth-strategies';
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, resolveJwtSecret } from './jwt-secret';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { VerifiedTokens } from './verified-tokens';
import { RolesGuard } from './roles.guard';
import { ApiKeyStrategy } from './api-key.strategy';
import { RefreshToken } from './refresh-token.entity';

@Module({
  imports: [
    MikroOrmModule.forFeature([RefreshToken]),
    ApiKeysModule,
    JwtModule.registerAsync({
      inject: [JWT_SECRET, APP_CONFIG],
      extraProviders: [{ provide: JWT_SECRET, inject: [APP_CONFIG], useFactory: resolveJwtSecret }],
      // Signing only: tokens are verified by JwtStrategy (Passport) with the same key, issuer and audience.
      useFactory: (secret: string, config: AppConfig) => ({
        secret,
        signOptions: { algorithm: 'HS256', expiresIn: config.jwtExpiresInSeconds, issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    { provide: JWT_SECRET, inject: [APP_CONFIG], useFactory: resolveJwtSecret },
    { provide: AUTH_STRATEGY_NAMES, useFactory: authStrategyNames },
    { provide: AuthModuleOptions, inject: [AUTH_STRATEGY_NAMES], useFactory: authModuleOptions },
    AuthService,
    VerifiedTokens,
    JwtStrategy,
    ApiKeyStrategy,
    BootstrapAdmin,
    JwtAuthGuard,
    RolesGuard,
  ],
  exports: [BootstrapAdmin, JwtAuthGuard, RolesGuard],
})
export class AuthModule {}
