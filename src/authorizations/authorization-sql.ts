// Moved: the SQL to authorization.repository.ts and reservation.repository.ts, the presenters to
// presenters.ts, tenantScope to src/shared/auth/tenant-scope.ts. These re-exports go once the
// unit operations import from there.
export { AUTHORIZATION_COLUMNS, EFFECTIVE_STATUS_SQL } from './authorization.repository';
export type { AuthorizationRow } from './authorization.repository';
export { RESERVATION_COLUMNS } from './reservation.repository';
export type { ReservationRow } from './reservation.repository';
export { LEDGER_COLUMNS } from './ledger.repository';
export { presentAuthorization, presentReservation } from './presenters';
export { tenantScope } from '../shared/auth/tenant-scope';
