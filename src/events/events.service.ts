import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { Role, superAdminFilter } from '../shared/auth/role';
import { ValidationFailedError } from '../shared/errors/api-error';
import { EventPage, ListEventsQuery } from './events.dto';
import { eventsRepository, EventRow, FEED_START, FeedPosition } from './events.repository';

/** xid8 is an unsigned 64-bit integer; seq a positive bigint. */
const XID8_MAX = 2n ** 64n - 1n;
const BIGINT_MAX = 2n ** 63n - 1n;

/** The cursor is opaque to clients: a position, `<xid>.<seq>`, base64url-encoded. */
export function encodeFeedCursor(position: FeedPosition): string {
  return Buffer.from(`${position.xid}.${position.seq}`).toString('base64url');
}

/** The position a cursor names; a cursor this service could not have written is 400 (field `after`). */
export function decodeFeedCursor(cursor: string | undefined): FeedPosition {
  if (cursor === undefined) return FEED_START;
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = /^(0|[1-9]\d{0,19})\.(0|[1-9]\d{0,18})$/.exec(text);
  if (!match || BigInt(match[1]) > XID8_MAX || BigInt(match[2]) > BIGINT_MAX || !Number.isSafeInteger(Number(match[2]))) {
    throw new ValidationFailedError([{ field: 'after', message: 'after must be a nextCursor of this feed' }]);
  }
  return { xid: match[1], seq: Number(match[2]) };
}

const present = (row: EventRow) => ({ id: row.id, type: row.type, organizationId: row.organizationId, occurredAt: row.occurredAt, data: row.data as Record<string, unknown> });

/** SPEC §11 "Change feed": the caller's organization's events (a SUPER_ADMIN's: all, or `?organizationId=`). */
@Injectable()
export class EventsService {
  constructor(private readonly database: Database) {}

  async feed(caller: AuthUser, query: ListEventsQuery): Promise<EventPage> {
    const filter = superAdminFilter(caller.role, 'organizationId', query.organizationId);
    const organizationId = caller.role === Role.SUPER_ADMIN ? filter?.toLowerCase() : caller.organizationId!;
    const after = decodeFeedCursor(query.after);
    const rows = await eventsRepository.page(this.database, organizationId, after, query.limit);
    const last = rows.at(-1);
    return { items: rows.map(present), nextCursor: encodeFeedCursor(last ? { xid: last.xid, seq: last.seq } : after) };
  }
}
