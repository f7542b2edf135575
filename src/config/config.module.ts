import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { APP_CONFIG, AppConfig } from './app-config';

/**
 * The settings in @nestjs/config: the typed AppConfig built from the environment validated by
 * the zod schema (env.schema.ts), as the `app` namespace of the ConfigService and as APP_CONFIG,
 * which the features inject. The environment is validated before Nest starts — main.ts needs
 * PORT, DATA_DIR and the database (the embedded one when DATABASE_URL is unset) before it creates
 * the application — so ConfigModule neither reads process.env nor a .env file again here.
 */
@Module({})
export class AppConfigModule {
  static register(config: AppConfig): DynamicModule {
    const app = registerAs('app', () => config);
    return {
      module: AppConfigModule,
      global: true,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, validatePredefined: false, skipProcessEnv: true, load: [app] })],
      providers: [{ provide: APP_CONFIG, inject: [app.KEY], useFactory: (settings: AppConfig) => settings }],
      exports: [APP_CONFIG, ConfigModule],
    };
  }
}
