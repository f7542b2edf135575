// Configuration for the MikroORM CLI (`npx mikro-orm migration:create`, `migration:list`).
// The service itself builds the same configuration in src/database/orm-config.ts (its entities come
// from the feature modules' MikroOrmModule.forFeature); the CLI runs without Nest, so it gets the list.
import { ormConfig } from './src/database/orm-config';
import { ENTITIES } from './src/entities';

export default ormConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/unit_ledger', 10, ENTITIES);
