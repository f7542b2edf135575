import { ConfigError } from './config/load-config';
import { EmbeddedDatabaseError } from './database/embedded-postgres';
import { describeStartFailure } from './start-failure';

const errorWithCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('describeStartFailure', () => {
  it('never says "undefined", whatever was thrown', () => {
    for (const thrown of [undefined, null, '', {}, new Error(''), 42]) {
      const message = describeStartFailure(thrown, 'embedded database', {});
      expect(message).not.toMatch(/undefined\s*$|: undefined/);
      expect(message).toMatch(/^Failed to start \(embedded database\): /);
    }
    expect(describeStartFailure(undefined, 'database', {})).toBe('Failed to start (database): no reason given (the failing step rejected with nothing)');
  });

  it('passes on messages that already say what to do', () => {
    expect(describeStartFailure(new ConfigError(['PORT must be …']), 'configuration', {})).toBe('Invalid configuration:\n  - PORT must be …');
    expect(describeStartFailure(new EmbeddedDatabaseError('in use by …'), 'embedded database', {})).toBe('in use by …');
  });

  it('port in use or not allowed: names the port and PORT', () => {
    expect(describeStartFailure(errorWithCode('listen EADDRINUSE', 'EADDRINUSE'), 'listen', { port: 3000 })).toBe(
      'Port 3000 is already in use by another process (another instance of this service?). Stop it, or set PORT to a free port.',
    );
    expect(describeStartFailure(errorWithCode('listen EACCES', 'EACCES'), 'listen', { port: 80 })).toMatch(/^Not allowed to listen on port 80: set PORT/);
  });

  it('database refusing or missing: names its address (never the password) and DATABASE_URL', () => {
    const message = describeStartFailure(errorWithCode('password authentication failed for user "u"', '28P01'), 'database', {
      databaseUrl: 'postgres://u:secret@db.internal:6543/ledger',
    });
    expect(message).toMatch(/^Cannot use the database at db\.internal:6543\/ledger \(DATABASE_URL\): password authentication failed/);
    expect(message).not.toContain('secret');
    expect(describeStartFailure(errorWithCode('connect ECONNREFUSED', 'ECONNREFUSED'), 'database', { embedded: true })).toBe(
      'The embedded database did not answer: connect ECONNREFUSED.',
    );
  });
});
