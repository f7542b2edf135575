import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InvalidCredentialsError } from '../shared/errors/api-error';
import { User } from '../users/user.entity';
import { AccessTokenClaims } from './access-token-claims';
import { TokenResponse } from './login.dto';
import { verifyAgainstDummy, verifyPassword } from '../users/password';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Unknown email, wrong password and deactivated user are the same 401, in about the same time. */
  async login(email: string, password: string): Promise<TokenResponse> {
    const user = await this.em.fork().findOne(User, { email: email.trim().toLowerCase() }, { populate: ['passwordHash'] });
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !valid || !user.active) throw new InvalidCredentialsError();
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, org: user.organizationId, gen: user.tokenGeneration };
    return {
      accessToken: await this.jwt.signAsync(claims),
      tokenType: 'Bearer',
      expiresIn: this.config.jwtExpiresInSeconds,
    };
  }
}
