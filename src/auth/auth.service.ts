import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InvalidCredentialsError } from '../shared/errors/api-error';
import { User } from '../users/user.entity';
import { AccessTokenClaims } from './access-token-claims';
import { TokenResponse } from './login.dto';
import { verifyAgainstDummy, verifyPassword } from '../users/password';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { Role } from '../shared/auth/role';
import { refreshTokenRepository } from './refresh-token.repository';
import { InvalidRefreshTokenError, issueRefreshToken, revokeRefreshToken, rotateRefreshToken } from './refresh-tokens';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
  ) {}

  /** Unknown email, wrong password and deactivated user are the same 401, in about the same time. */
  async login(email: string, password: string): Promise<TokenResponse> {
    const user = await this.em.fork().findOne(User, { email: email.trim().toLowerCase() }, { populate: ['passwordHash'] });
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !valid || !user.active) throw new InvalidCredentialsError();
    const ttl = this.config.refreshTokenTtlSeconds;
    // A new family; the user's generation is read again inside the transaction, so a deactivation
    // committed since the password check above is not outlived by this refresh token.
    const { value: refreshToken } = await this.uow.run(async (tx) => {
      const [current] = await tx.query<{ active: boolean; tokenGeneration: number }>(
        `select active, token_generation as "tokenGeneration" from users where id = ?`,
        [user.id],
      );
      if (!current?.active || current.tokenGeneration !== user.tokenGeneration) throw new InvalidCredentialsError();
      await refreshTokenRepository.deleteExpired(tx, user.id);
      return issueRefreshToken(tx, user, ttl);
    });
    return this.tokens({ id: user.id, role: user.role, organizationId: user.organizationId, tokenGeneration: user.tokenGeneration }, refreshToken);
  }

  /** SPEC §11: a new access token and the next refresh token of the family (rotation); reuse revokes the family. */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const { value: rotation } = await this.uow.run((tx) => rotateRefreshToken(tx, refreshToken, this.config.refreshTokenTtlSeconds));
    if (rotation.refused) throw new InvalidRefreshTokenError();
    return this.tokens(rotation.user, rotation.refreshToken);
  }

  /** Revokes the token's whole family; a token never issued is 401. */
  async logout(refreshToken: string): Promise<void> {
    const { value: known } = await this.uow.run((tx) => revokeRefreshToken(tx, refreshToken));
    if (!known) throw new InvalidRefreshTokenError();
  }

  private async tokens(user: { id: string; role: Role; organizationId: string | null; tokenGeneration: number }, refreshToken: string): Promise<TokenResponse> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, org: user.organizationId, gen: user.tokenGeneration };
    return {
      accessToken: await this.jwt.signAsync(claims),
      tokenType: 'Bearer',
      expiresIn: this.config.jwtExpiresInSeconds,
      refreshToken,
      refreshExpiresIn: this.config.refreshTokenTtlSeconds,
    };
  }
}
