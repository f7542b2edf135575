import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { eventsRepository, NewEvent } from '../events/events.repository';
import { expiredDue, expiringDue } from '../events/event-rules';
import { TransactionRetrier } from '../shared/transactions/transaction-retrier';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { authorizationRepository } from './authorization.repository';
import { presentAuthorization } from './presenters';

const BATCH = 200;

/**
 * SPEC §11 time-based events: `authorization.expiring` (the organization's expiringWithinDays before
 * endDate) and `authorization.expired` (after endDate), each once per authorization. Run by the
 * expiry sweep. Each batch is one SERIALIZABLE transaction in the authorizations' lanes that reads
 * them again, writes the events and marks them announced; sweeps of two instances on the same
 * authorization cannot both commit, and the retry of the loser finds them marked: exactly once.
 */
@Injectable()
export class AuthorizationDeadlines {
  constructor(
    private readonly database: Database,
    private readonly uow: UnitOfWork,
    private readonly retrier: TransactionRetrier,
  ) {}

  /** One pass; returns how many events it wrote. */
  async announce(now = new Date()): Promise<number> {
    const due = await authorizationRepository.deadlinesDue(this.database, now.toISOString(), BATCH);
    if (due.length === 0) return 0;
    const ids = due.map((d) => d.id);
    const { value } = await this.retrier.run(undefined, () =>
      this.uow.run(async (tx) => {
        const events: NewEvent[] = [];
        const marks: { id: string; expiring: boolean; expired: boolean }[] = [];
        for (const a of await authorizationRepository.deadlinesOf(tx, ids, now.toISOString())) {
          const expiring = !a.expiringAnnounced && expiringDue(a.endDate, a.today, a.expiringWithinDays);
          const expired = !a.expiredAnnounced && expiredDue(a.endDate, a.today);
          if (!expiring && !expired) continue;
          const data = presentAuthorization(a, now);
          if (expiring) events.push({ type: 'authorization.expiring', organizationId: a.organizationId, data });
          if (expired) events.push({ type: 'authorization.expired', organizationId: a.organizationId, data });
          // Expired without ever having been announced as expiring (created late, or the sweep was
          // down): expiring is not written any more, and never will be.
          marks.push({ id: a.id, expiring: expiring || expired, expired });
        }
        await eventsRepository.insert(tx, events);
        await authorizationRepository.markAnnounced(tx, marks);
        return events.length;
      }, undefined, ids),
    );
    return value;
  }
}
