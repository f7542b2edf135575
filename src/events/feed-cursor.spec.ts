import { ApiError } from '../shared/errors/api-error';
import { FEED_START } from './events.repository';
import { decodeFeedCursor, encodeFeedCursor } from './events.service';

const refused = (cursor: string) => {
  try {
    decodeFeedCursor(cursor);
  } catch (error) {
    return error instanceof ApiError ? { status: error.status, code: error.code, extra: error.extra } : error;
  }
  return 'accepted';
};

describe('the feed cursor: an opaque position <xid>.<seq>', () => {
  it('round-trips every position, from the start to the largest xid8 and safe seq', () => {
    for (const position of [FEED_START, { xid: '748', seq: 3 }, { xid: '18446744073709551615', seq: Number.MAX_SAFE_INTEGER }]) {
      expect(decodeFeedCursor(encodeFeedCursor(position))).toEqual(position);
    }
  });

  it('absent: the start of the feed', () => {
    expect(decodeFeedCursor(undefined)).toEqual(FEED_START);
  });

  it('is base64url text without padding', () => {
    expect(encodeFeedCursor({ xid: '748', seq: 3 })).toBe('NzQ4LjM');
  });

  it.each(['', '!!!', 'NzQ4LjM=', Buffer.from('1.2.3').toString('base64url'), Buffer.from('01.2').toString('base64url'), Buffer.from('1.02').toString('base64url'),
    Buffer.from('-1.2').toString('base64url'), Buffer.from(' 1.2').toString('base64url'), Buffer.from('18446744073709551616.1').toString('base64url'),
    Buffer.from('1.9007199254740992').toString('base64url'), Buffer.from('1.99999999999999999999').toString('base64url'), 'A'.repeat(201)])('%j → 400 VALIDATION_FAILED naming after', (cursor) => {
    expect(refused(cursor)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      extra: { fields: [{ field: 'after', message: 'after must be a nextCursor of this feed' }] },
    });
  });
});
