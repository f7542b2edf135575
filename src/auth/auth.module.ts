import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BootstrapAdmin } from './bootstrap-admin.service';
import { JWT_AUDIENCE, JWT_ISSUER, resolveJwtSecret } from './jwt-secret';
import { AccessTokenVerifier, JWT_SECRET } from './access-token-verifier';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [JWT_SECRET, APP_CONFIG],
      extraProviders: [{ provide: JWT_SECRET, inject: [APP_CONFIG], useFactory: resolveJwtSecret }],
      useFactory: (secret: string, config: AppConfig) => ({
        secret,
        signOptions: { algorithm: 'HS256', expiresIn: config.jwtExpiresInSeconds, issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
        verifyOptions: { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    { provide: JWT_SECRET, inject: [APP_CONFIG], useFactory: resolveJwtSecret },
    AuthService,
    AccessTokenVerifier,
    BootstrapAdmin,
    JwtAuthGuard,
    RolesGuard,
  ],
  exports: [BootstrapAdmin, JwtAuthGuard, RolesGuard],
})
export class AuthModule {}
