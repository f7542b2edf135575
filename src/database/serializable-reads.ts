import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GENERIC_PLANS, INDEX_SCANS_ONLY, statement } from './database.service';

/** Connections of this pool: at most one read per lane of unit operations at a time (LANE_COUNT). */
const CONNECTIONS = 2;

/**
 * Single prepared statements, each its own SERIALIZABLE READ ONLY transaction: the connections
 * are opened with those session defaults, so a statement needs no BEGIN and no COMMIT — one round
 * trip, with a plan PostgreSQL already has — and what it read is valid when it returns (its
 * implicit transaction has committed). Used to decide unit operations that change nothing.
 */
@Injectable()
export class SerializableReads implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: CONNECTIONS,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      options: `-c default_transaction_isolation=serializable -c default_transaction_read_only=on ${[INDEX_SCANS_ONLY, GENERIC_PLANS].map((s) => `-c ${s.replace(/ /g, '')}`).join(' ')}`,
    });
    // An idle connection the server dropped: the pool discards it and opens another when needed.
    const logger = new Logger('Database');
    this.pool.on('error', (error) => logger.warn(`read-only connection lost: ${error.message}`));
  }

  async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query({ ...statement(text, true), values: params });
    return result.rows as T[];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
