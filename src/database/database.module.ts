import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { migrate } from './migrate';
import { Database } from './database.service';
import { ormConfig } from './orm-config';
import { SerializableReads } from './serializable-reads';

/** Whether this instance applied (or found applied) every migration; readiness depends on it. */
@Injectable()
export class DatabaseState {
  migrated = false;

  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async migrate(): Promise<string[]> {
    const applied = await migrate(this.orm, this.config.databaseUrl!);
    this.migrated = true;
    return applied;
  }
}

@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      // Naming the driver lets Nest inject the PostgreSQL flavours of MikroORM and EntityManager.
      driver: PostgreSqlDriver,
      // Entities come from the feature modules (MikroOrmModule.forFeature in each), none from here.
      // No request-context middleware: services fork explicitly where they use the EntityManager.
      useFactory: (config: AppConfig) => ({
        ...ormConfig(config.databaseUrl!, config.databasePoolSize),
        autoLoadEntities: true,
        registerRequestContext: false,
      }),
    }),
  ],
  providers: [DatabaseState, Database, SerializableReads],
  exports: [DatabaseState, Database, SerializableReads],
})
export class DatabaseModule {}
