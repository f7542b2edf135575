import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Sql } from '../database/database.service';
import type { UnitCommand } from './unit-command';

/** What toISOString writes for an instant after 9999-12-31: PostgreSQL refuses it (the attack of issue 11). */
const UNSTORABLE_INSTANT = new Date(Date.UTC(10_000, 0, 1)).toISOString();

/**
 * TEST-ONLY fault injection into the write of a batch of unit operations: a way to make one
 * command's write fail in PostgreSQL as a value validation let through would (issue 11), to test
 * that the command's batch-mates are not failed with it.
 *
 * It cannot be enabled in production: `failWritesOf` refuses unless NODE_ENV=test, and nothing
 * outside a test calls it (no environment variable, no endpoint). A test takes this provider from
 * the application (`app.get(UnitWriteFaults)`), arms it with a predicate on the commands, and
 * disarms it when done. Disarmed, the hot path pays one property check per batch.
 */
@Injectable()
export class UnitWriteFaults {
  private failing?: (command: UnitCommand) => boolean;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Makes the write of every batch that contains a command matching `predicate` fail in PostgreSQL. */
  failWritesOf(predicate: (command: UnitCommand) => boolean): void {
    if (this.config.nodeEnv !== 'test') throw new Error('UnitWriteFaults is for tests only (NODE_ENV=test)');
    this.failing = predicate;
  }

  disarm(): void {
    this.failing = undefined;
  }

  /** Called inside the batch's transaction, before its write: fails it when armed and a command matches. */
  async beforeWrite(tx: Sql, commands: UnitCommand[]): Promise<void> {
    if (this.failing && commands.some(this.failing)) await tx.query('select ?::timestamptz', [UNSTORABLE_INSTANT]);
  }
}
