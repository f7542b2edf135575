import { ConfigError } from './config/load-config';
import { EmbeddedDatabaseError } from './database/embedded-postgres';

/** Where the start stopped: each step's failures have their own advice. */
export type StartStep = 'configuration' | 'embedded database' | 'database' | 'listen';

/** Codes of a database that cannot be reached or refuses us (network, authentication, missing database, starting up). */
const DATABASE_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P03']);

const codeOf = (error: unknown) => (error as { code?: unknown } | undefined)?.code;

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string' && error) return error;
  return `no reason given (${error === undefined ? 'the failing step rejected with nothing' : JSON.stringify(error)})`;
}

function databaseAddress(databaseUrl: string | undefined): string {
  try {
    const url = new URL(databaseUrl ?? '');
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** One message that says what failed and what to do; never "undefined". */
export function describeStartFailure(error: unknown, step: StartStep, settings: { port?: number; host?: string; databaseUrl?: string; embedded?: boolean }): string {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseError) return error.message;
  const reason = reasonOf(error);
  const code = codeOf(error);
  if (step === 'listen' && code === 'EADDRINUSE') {
    return `Port ${settings.port} is already in use by another process (another instance of this service?). Stop it, or set PORT to a free port.`;
  }
  if (step === 'listen' && (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    return `Cannot listen on ${settings.host} (HOST): ${reason}. Set HOST to an address of this machine, or unset it to listen on all interfaces.`;
  }
  if (step === 'listen' && code === 'EACCES') return `Not allowed to listen on port ${settings.port}: set PORT to a port above 1023, or run with that privilege.`;
  if (step === 'database' && typeof code === 'string' && DATABASE_UNREACHABLE.has(code)) {
    if (settings.embedded) return `The embedded database did not answer: ${reason}.`;
    return (
      `Cannot use the database at ${databaseAddress(settings.databaseUrl)} (DATABASE_URL): ${reason}. ` +
      'Check that PostgreSQL runs there and that DATABASE_URL (user, password, database) is right, or unset DATABASE_URL to use the embedded database.'
    );
  }
  return `Failed to start (${step}): ${reason}`;
}
