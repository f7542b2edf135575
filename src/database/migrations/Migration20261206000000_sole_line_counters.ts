import { Migration } from '@mikro-orm/migrations';

/** Issue 14 point 10: the counters of an authorization's sole, unpooled line live on the authorization row (being written). */
export class Migration20261206000000_sole_line_counters extends Migration {
  override async up(): Promise<void> {}
}
