import { IdempotencyKeyMismatchError } from '../shared/errors/business-errors';
import { markBusinessRejection } from '../shared/errors/business-rejection';
import { answerKey } from '../shared/idempotency/idempotency-context';
import { Settled } from '../shared/transactions/authorization-lanes';
import { StoredAnswer } from '../idempotency/idempotency.repository';
import { AuthorizationRow } from './authorization.repository';
import { UnitOperationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { BatchPlan, BatchState } from './unit-batch-state';
import { CommandResult, UnitCommand } from './unit-command';
import { decideConsume, decideExpire, decideRelease, decideReserve } from './unit-decisions';

/**
 * Decides the commands on one authorization, in arrival order, in memory: each command is
 * checked against the state the previous ones left (the same rules as alone, unit-decisions.ts),
 * answered on its own, and contributes its rows to one set of writes. Pure: no I/O, so the
 * combined path is tested like the rules themselves.
 */
export function planBatch(
  authorizationId: string,
  authorization: AuthorizationRow | undefined,
  reservations: Map<string, ReservationRow>,
  storedAnswers: Map<string, StoredAnswer>,
  commands: UnitCommand[],
  now: Date,
): BatchPlan {
  const batch = new BatchState(authorizationId, authorization, reservations, now);
  for (const command of commands) batch.plan.outcomes.push(settle(batch, storedAnswers, command));
  return batch.plan;
}

/**
 * One command's outcome: a stored answer replayed (or a 422 for another request under its key),
 * else its decision, whose answer is stored with the batch. A refusal fails this command alone.
 */
function settle(batch: BatchState, storedAnswers: Map<string, StoredAnswer>, command: UnitCommand): Settled<CommandResult> {
  try {
    const idempotency = command.kind === 'expire' ? undefined : command.idempotency;
    const stored = idempotency && storedAnswers.get(answerKey(idempotency));
    if (idempotency && stored) {
      if (stored.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyMismatchError();
      return { ok: true, value: { value: stored.body as UnitOperationResponse, replayed: true } };
    }
    const result = decide(batch, command);
    if (idempotency && typeof result === 'object') {
      storedAnswers.set(answerKey(idempotency), { fingerprint: idempotency.fingerprint, body: result.value });
      batch.plan.answers.push({ idempotency, body: result.value });
    }
    return { ok: true, value: result };
  } catch (error) {
    return { ok: false, error: markBusinessRejection(error) };
  }
}

function decide(batch: BatchState, command: UnitCommand): CommandResult {
  switch (command.kind) {
    case 'reserve':
      return decideReserve(batch, command);
    case 'release':
      return decideRelease(batch, command);
    case 'consume':
      return decideConsume(batch, command);
    case 'expire':
      return decideExpire(batch, command);
  }
}
