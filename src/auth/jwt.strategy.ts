import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { isUuid } from '../shared/ids';
import { UserDirectory } from '../users/user-directory.service';
import { AccessTokenClaims, AuthUser } from './auth-user';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-secret';

export const JWT_SECRET = Symbol('JWT_SECRET');

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(JWT_SECRET) secret: string,
    private readonly users: UserDirectory,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse it as a
      // PEM public key on every request, which costs more than the rest of authentication.
      secretOrKey: createSecretKey(Buffer.from(secret)) as unknown as string,
      // Pinned: `alg: none`, RS256-with-the-secret-as-key and every other algorithm are refused.
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  /** Returning null makes the guard answer 401: unknown or deactivated users hold no valid token. */
  async validate(claims: AccessTokenClaims): Promise<AuthUser | null> {
    if (typeof claims?.sub !== 'string' || !isUuid(claims.sub)) return null;
    // jsonwebtoken only checks exp when present: a token without one would never expire.
    if (typeof claims.exp !== 'number') return null;
    return this.users.findActive(claims.sub);
  }
}
