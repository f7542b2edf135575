import { defineConfig, EntityClass, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { types } from 'pg';
import { Migration20261127000000_initial } from './migrations/Migration20261127000000_initial';
import { Migration20261128000000_reservation_expiries } from './migrations/Migration20261128000000_reservation_expiries';
import { Migration20261202000000_user_token_generation } from './migrations/Migration20261202000000_user_token_generation';
import { Migration20261203000000_organization_settings } from './migrations/Migration20261203000000_organization_settings';
import { Migration20261203000100_payer_authorizations } from './migrations/Migration20261203000100_payer_authorizations';
import { Migration20261206000000_sole_line_counters } from './migrations/Migration20261206000000_sole_line_counters';
import { Migration20261206100000_refresh_tokens } from './migrations/Migration20261206100000_refresh_tokens';
import { Migration20261206100100_api_keys } from './migrations/Migration20261206100100_api_keys';
import { Migration20261206200000_events } from './migrations/Migration20261206200000_events';
import { Migration20261206300000_webhooks } from './migrations/Migration20261206300000_webhooks';
import { Migration20261206400000_authorization_deadlines } from './migrations/Migration20261206400000_authorization_deadlines';
import { Migration20261206500000_webhook_deliveries } from './migrations/Migration20261206500000_webhook_deliveries';

// Calendar dates stay 'YYYY-MM-DD' strings (a JS Date would shift them by the time zone);
// ledger ids are bigint identities, far below 2^53.
types.setTypeParser(types.builtins.DATE, (value) => value);
types.setTypeParser(types.builtins.INT8, (value) => Number(value));

export const MIGRATIONS = [
  { name: 'Migration20261127000000_initial', class: Migration20261127000000_initial },
  { name: 'Migration20261128000000_reservation_expiries', class: Migration20261128000000_reservation_expiries },
  { name: 'Migration20261202000000_user_token_generation', class: Migration20261202000000_user_token_generation },
  { name: 'Migration20261203000000_organization_settings', class: Migration20261203000000_organization_settings },
  { name: 'Migration20261203000100_payer_authorizations', class: Migration20261203000100_payer_authorizations },
  { name: 'Migration20261206000000_sole_line_counters', class: Migration20261206000000_sole_line_counters },
  { name: 'Migration20261206100000_refresh_tokens', class: Migration20261206100000_refresh_tokens },
  { name: 'Migration20261206100100_api_keys', class: Migration20261206100100_api_keys },
  { name: 'Migration20261206200000_events', class: Migration20261206200000_events },
  { name: 'Migration20261206300000_webhooks', class: Migration20261206300000_webhooks },
  { name: 'Migration20261206400000_authorization_deadlines', class: Migration20261206400000_authorization_deadlines },
  { name: 'Migration20261206500000_webhook_deliveries', class: Migration20261206500000_webhook_deliveries },
];

/**
 * The one MikroORM configuration. The service passes no entities: each feature module registers its
 * own with `MikroOrmModule.forFeature`, and the root module loads them (`autoLoadEntities`). The CLI
 * and `npm run migrate` run without Nest, so they pass the list of src/entities.ts.
 */
export function ormConfig(clientUrl: string, poolSize = 10, entities: EntityClass<object>[] = []) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    // Migrations are listed in code, so the same list runs from src (tests, CLI) and from dist.
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    pool: { min: 0, max: poolSize, idleTimeoutMillis: 30_000 },
    // A fresh fork per request / per unit of work; the global context is never used.
    allowGlobalContext: false,
    debug: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: false },
  });
}
