import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import passport from 'passport';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.service';
import { API_KEY_PREFIX } from '../api-keys/api-key-rules';
import { AuthUser } from '../shared/auth/auth-user';
import { bearerToken } from './access-token-claims';
import { AUTH_STRATEGY_NAMES, AuthStrategyNames } from './auth-strategies';

type Verify = (request: Request, key: string, done: (error: unknown, user?: AuthUser | false | null) => void) => void;

/**
 * A Passport strategy for `Authorization: Bearer ul_…` (the shape of passport-http-bearer, with the
 * request passed on): a bearer value that is not an API key is not this strategy's — it fails at
 * once, without a lookup, and Passport tries the next strategy.
 */
export class BearerApiKeyStrategy extends passport.Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  authenticate(request: Request): void {
    const key = bearerToken(request.headers.authorization);
    if (key === undefined || !key.startsWith(API_KEY_PREFIX)) return this.fail(401);
    this.verify(request, key, (error, user) => {
      if (error) return this.error(error);
      if (!user) return this.fail(401);
      return this.success(user);
    });
  }
}

/** The registration the PassportStrategy mixin makes on construction; done in the constructor instead, under this instance's name. */
const NO_REGISTRATION = { use: () => undefined } as unknown as passport.PassportStatic;

/**
 * Machine clients (SPEC §11): an API key acts with its role in its organization. The second
 * strategy of JwtAuthGuard (auth-strategies.ts), beside JwtStrategy. Keys are looked up in the
 * database on every request (ApiKeyVerifier): a revoked key is refused at once on every instance.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(BearerApiKeyStrategy) implements OnModuleDestroy {
  constructor(
    @Inject(AUTH_STRATEGY_NAMES) private readonly names: AuthStrategyNames,
    private readonly keys: ApiKeyVerifier,
  ) {
    super();
    passport.use(names.apiKey, this);
  }

  getPassportInstance(): passport.PassportStatic {
    return NO_REGISTRATION;
  }

  /** null: refused (401); a thrown error (the database is down) is not a refusal. */
  validate(_request: Request, key: string): Promise<AuthUser | null> {
    return this.keys.callerOf(key);
  }

  onModuleDestroy(): void {
    passport.unuse(this.names.apiKey);
  }
}
