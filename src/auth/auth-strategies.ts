import { AuthModuleOptions } from '@nestjs/passport';

/**
 * The names this application's Passport strategies are registered under; JwtAuthGuard tries them in
 * order (PassportModule's `defaultStrategy`): access tokens (JwtStrategy), then API keys of machine
 * clients (ApiKeyStrategy, SPEC §11). Each fails at once on the other's bearer values.
 *
 * Why not simply "jwt": Passport keeps strategies in one registry per process, by name. Two
 * instances of the service in one process (the e2e suites start a second one with another key, or
 * to watch the user cache of another instance) would both register "jwt", and the last one would
 * answer for both — with its key and its user directory, even after it closed. Each application
 * instance therefore registers its strategies under names of its own.
 */
export interface AuthStrategyNames {
  jwt: string;
  apiKey: string;
  all: string[];
}

export const AUTH_STRATEGY_NAMES = Symbol('AUTH_STRATEGY_NAMES');

let instances = 0;

export function authStrategyNames(): AuthStrategyNames {
  const instance = ++instances;
  const jwt = `jwt#${instance}`;
  const apiKey = `api-key#${instance}`;
  return { jwt, apiKey, all: [jwt, apiKey] };
}

/** The options AuthGuard() reads: the strategies to try, no session (every request carries its token). */
export const authModuleOptions = (names: AuthStrategyNames): AuthModuleOptions => ({ defaultStrategy: names.all, session: false });
