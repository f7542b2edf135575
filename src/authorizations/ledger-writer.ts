// Moved to ledger.repository.ts; these re-exports go once the unit operations import from there.
import { ledgerRepository } from './ledger.repository';
export { LEDGER_UNNEST, ledgerColumns } from './ledger.repository';
export type { LedgerLine } from './ledger.repository';
export const appendLedger = ledgerRepository.append;
