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
import { BucketRow } from './unit-limits';
import { decideConsume, decideExpire, decideMove, decideRelease, decideReserve, decideReserveForPatient } from './unit-decisions';

/**
 * Decides the commands of a batch in arrival order, in memory: each command is checked against the
 * state the previous ones left on its authorization (the same rules as alone, unit-decisions.ts),
 * answered on its own, and contributes its rows to one set of writes per authorization. A
 * scheduling by patient picks among its candidates' states when its turn comes. Pure: no I/O, so
 * the combined path is tested like the rules themselves.
 */
export function planBatches(
  authorizations: Map<string, AuthorizationRow>,
  reservations: Map<string, ReservationRow>,
  storedAnswers: Map<string, StoredAnswer>,
  commands: UnitCommand[],
  now: Date,
  buckets: Map<string, BucketRow> = new Map(),
): { plans: BatchPlan[]; outcomes: Settled<CommandResult>[] } {
  const states = new Map<string, BatchState>();
  for (const id of new Set(commands.flatMap(authorizationsOf))) {
    const authorization = authorizations.get(id);
    const capIds = new Set(authorization?.caps.map((c) => c.id));
    const own = <T>(entries: Map<string, T>, mine: (value: T) => boolean) => new Map([...entries].filter(([, value]) => mine(value)));
    states.set(id, new BatchState(id, authorization, own(reservations, (r) => r.authorizationId === id), now, own(buckets, (b) => capIds.has(b.capId))));
  }
  const outcomes = commands.map((command) => settle(states, storedAnswers, command));
  return { plans: [...states.values()].map((s) => s.plan), outcomes };
}

/** The authorizations a command may change: its own, or a scheduling by patient's candidates. */
export const authorizationsOf = (c: UnitCommand): string[] => (c.kind === 'reserveForPatient' ? c.candidateIds : [c.authorizationId]);

/** planBatches for commands on one authorization, its outcomes in the plan (as the specs read them). */
export function planBatch(
  authorizationId: string,
  authorization: AuthorizationRow | undefined,
  reservations: Map<string, ReservationRow>,
  storedAnswers: Map<string, StoredAnswer>,
  commands: UnitCommand[],
  now: Date,
  buckets: Map<string, BucketRow> = new Map(),
): BatchPlan {
  const authorizations = new Map(authorization ? [[authorizationId, authorization]] : []);
  const { plans, outcomes } = planBatches(authorizations, reservations, storedAnswers, commands, now, buckets);
  return { ...plans[0], outcomes };
}

/**
 * One command's outcome: a stored answer replayed (or a 422 for another request under its key),
 * else its decision, whose answer is stored with the batch. A refusal fails this command alone.
 */
function settle(states: Map<string, BatchState>, storedAnswers: Map<string, StoredAnswer>, command: UnitCommand): Settled<CommandResult> {
  try {
    const idempotency = command.kind === 'expire' ? undefined : command.idempotency;
    const stored = idempotency && storedAnswers.get(answerKey(idempotency));
    if (idempotency && stored) {
      if (stored.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyMismatchError();
      return { ok: true, value: { value: stored.body as UnitOperationResponse, replayed: true } };
    }
    const { result, state } = decide(states, command);
    if (idempotency && typeof result === 'object') {
      storedAnswers.set(answerKey(idempotency), { fingerprint: idempotency.fingerprint, body: result.value });
      state.plan.answers.push({ idempotency, body: result.value });
    }
    return { ok: true, value: result };
  } catch (error) {
    return { ok: false, error: markBusinessRejection(error) };
  }
}

/** The command's result, and the state it changed (where its stored answer is written). */
function decide(states: Map<string, BatchState>, command: UnitCommand): { result: CommandResult; state: BatchState } {
  if (command.kind === 'reserveForPatient') return decideReserveForPatient(command.candidateIds.map((id) => states.get(id)!), command);
  const state = states.get(command.authorizationId)!;
  switch (command.kind) {
    case 'reserve':
      return { result: decideReserve(state, command), state };
    case 'move':
      return { result: decideMove(state, command), state };
    case 'release':
      return { result: decideRelease(state, command), state };
    case 'consume':
      return { result: decideConsume(state, command), state };
    case 'expire':
      return { result: decideExpire(state, command), state };
  }
}
