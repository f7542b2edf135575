// Configuration for the MikroORM CLI (`npx mikro-orm migration:create`, `migration:list`).
// The service itself builds the same configuration in src/database/orm-config.ts.
import { ormConfig } from './src/database/orm-config';

export default ormConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/unit_ledger');
