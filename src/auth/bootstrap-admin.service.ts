import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { newId } from '../shared/ids';
import { hashPassword } from '../users/password';
import { userRepository } from '../users/user.repository';
import { Role } from '../shared/auth/role';

export const LOCAL_ADMIN_EMAIL = 'admin@localhost';

/**
 * The first SUPER_ADMIN (SPEC §6): BOOTSTRAP_ADMIN_EMAIL/PASSWORD when given; on the embedded
 * database without them, admin@localhost with a random password printed once.
 */
@Injectable()
export class BootstrapAdmin {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ensure(): Promise<void> {
    const configured = this.config.bootstrapAdmin;
    if (configured) {
      if (await this.create(configured.email, configured.password)) this.logger.log(`Created SUPER_ADMIN ${configured.email}`);
      return;
    }
    if (!this.config.embeddedDatabase) return;
    const password = randomBytes(18).toString('base64url');
    if (await this.create(LOCAL_ADMIN_EMAIL, password)) {
      // Printed once, on purpose, straight to the console (not into structured logs).
      console.log(`\n  First start: created SUPER_ADMIN ${LOCAL_ADMIN_EMAIL} with password ${password}\n  (shown only this once)\n`);
    } else {
      this.logger.log(`Log in as ${LOCAL_ADMIN_EMAIL} with the password printed at first start`);
    }
  }

  private async create(email: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return userRepository.insertIfAbsent(this.database, { id: newId(), email, passwordHash, role: Role.SUPER_ADMIN, organizationId: null });
  }
}
