// Cost of authenticating one request in JwtAuthGuard, in process (no HTTP, no database: the user
// directory answers from memory, as its 30 s cache does on most requests):
//   npx ts-node --transpile-only -P tsconfig.spec.json test/bench/auth-guard.bench.ts
// "Passport every time" runs passport-jwt + jsonwebtoken on every request (VerifiedTokens never
// recalls); "VerifiedTokens hit" is the path of a token Passport accepted before.
import { createHmac } from 'node:crypto';
import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import { authModuleOptions, authStrategyNames } from '../../src/auth/auth-strategies';
import { JwtAuthGuard } from '../../src/auth/jwt-auth.guard';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/auth/jwt-secret';
import { JwtStrategy } from '../../src/auth/jwt.strategy';
import { Role } from '../../src/shared/auth/role';
import { VerifiedTokens } from '../../src/auth/verified-tokens';
import { AppConfig } from '../../src/config/app-config';
import { UserDirectory } from '../../src/users/user-directory.service';

const SECRET = 'bench-secret-bench-secret-bench-secret';
const SUB = '01900000-0000-7000-8000-000000000001';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: SUB, role: 'VIEWER', org: null, gen: 0, iat: now, exp: now + 900, iss: JWT_ISSUER, aud: JWT_AUDIENCE })}`;
const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;

const user = { id: SUB, email: 'bench@example.com', role: Role.VIEWER, organizationId: null };
const users = { findActive: async () => ({ user, tokenGeneration: 0 }) } as unknown as UserDirectory;
const config = { jwtExpiresInSeconds: 900, rateLimit: { anonPerMinute: 600 } } as AppConfig;
const reflector = { getAllAndOverride: () => false } as unknown as Reflector;

class NeverRecalled extends VerifiedTokens {
  override recall(): undefined {
    return undefined;
  }
}

function guardWith(verified: VerifiedTokens): JwtAuthGuard {
  const names = authStrategyNames();
  new JwtStrategy(SECRET, names, config, users, verified);
  return new JwtAuthGuard(reflector, authModuleOptions(names), verified, users, {} as ThrottlerStorage, config);
}

function context(): ExecutionContext {
  const request = { headers: { authorization: `Bearer ${token}` } };
  const http = { getRequest: () => request, getResponse: () => ({}) };
  return { switchToHttp: () => http, getHandler: () => undefined, getClass: () => undefined } as unknown as ExecutionContext;
}

async function measure(label: string, guard: JwtAuthGuard, n: number): Promise<void> {
  for (let i = 0; i < 2_000; i++) await guard.canActivate(context());
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (!(await guard.canActivate(context()))) throw new Error('refused');
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(`${label.padEnd(24)} ${(wallMs / n).toFixed(4)} ms/request wall, ${(cpuMs / n).toFixed(4)} ms/request CPU (${n} requests)`);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 50_000);
  for (let round = 1; round <= 3; round++) {
    await measure('Passport every time', guardWith(new NeverRecalled()), n);
    await measure('VerifiedTokens hit', guardWith(new VerifiedTokens()), n);
  }
}

void main();
