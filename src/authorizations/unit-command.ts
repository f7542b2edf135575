import { AuthUser } from '../shared/auth/auth-user';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { UnitOperationResponse } from './reservation.dto';

interface Requested {
  authorizationId: string;
  caller: AuthUser;
  idempotency?: IdempotencyContext;
}

export type ReserveCommand = Requested & {
  kind: 'reserve';
  reservationId: string;
  /** Names the line (SPEC §10); optional on an authorization with one line. */
  serviceCode?: string;
  modifiers?: string[];
  units: number;
  /** Undefined: the organization's today. */
  serviceDate?: string;
  reference: string | null;
  expiresAt: string | null;
};
/**
 * SPEC §10 scheduling by patient: the first of `candidateIds` (read before the transaction, the
 * one ending first first) on which it fits. `authorizationId` is the lane's: the first candidate.
 */
export type ReserveForPatientCommand = Requested & {
  kind: 'reserveForPatient';
  candidateIds: string[];
  patientId: string;
  reservationId: string;
  serviceCode: string;
  modifiers?: string[];
  units: number;
  serviceDate: string;
  reference: string | null;
  expiresAt: string | null;
};
export type ReleaseCommand = Requested & { kind: 'release'; reservationId: string };
/** SPEC §10 moving a session: new units and/or date for a SCHEDULED reservation, checked as if its old hold were gone. */
export type MoveCommand = Requested & { kind: 'move'; reservationId: string; units?: number; serviceDate?: string };
export type ConsumeCommand = Requested & { kind: 'consume'; reservationId: string; units?: number };
/** The service's own command (the expiry sweeper): no caller, no Idempotency-Key. */
export type ExpireCommand = { authorizationId: string; kind: 'expire'; reservationId: string };

/** One request for units (or one expiration), queued in its authorization's lane. */
export type UnitCommand = ReserveCommand | ReserveForPatientCommand | MoveCommand | ReleaseCommand | ConsumeCommand | ExpireCommand;

/** A request's answer; for an expiration, whether it expired the reservation. */
export type CommandResult = Outcome<UnitOperationResponse> | boolean;
