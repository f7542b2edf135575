import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig } from './config/load-config';
import { migrate } from './database/migrate';
import { ormConfig } from './database/orm-config';
import { ENTITIES } from './entities';

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL and exits, for deployments that
 * migrate in a separate step (a Kubernetes Job, a release phase). The service also migrates at
 * start under the same advisory lock, so either way is safe with many instances.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL is required for npm run migrate']);
  const orm = await MikroORM.init(ormConfig(config.databaseUrl, 2, ENTITIES));
  try {
    const applied = await migrate(orm, config.databaseUrl);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply: the schema is current');
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
