import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';

/** JWT_SECRET when set (required in production); otherwise a random key generated once under DATA_DIR. */
export function resolveJwtSecret(config: AppConfig): string {
  if (config.jwtSecret) return config.jwtSecret;
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** The signing key (resolveJwtSecret), for the signer (@nestjs/jwt) and the verifier (JwtStrategy). */
export const JWT_SECRET = Symbol('JWT_SECRET');

export const JWT_ISSUER = 'unit-ledger';
export const JWT_AUDIENCE = 'unit-ledger-api';
