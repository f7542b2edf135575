import { InsufficientUnitsError, LineRequiredError, NoMatchingLineError, PeriodCapExceededError } from '../shared/errors/business-errors';
import type { CapPeriod } from './authorization-cap.entity';

// The limits of SPEC §10 as plain functions: which line a request names, which period bucket a
// date falls in, and whether units fit the line, the pool and every cap. No I/O: the batch
// decisions and the scheduling by patient both use them.

export type { WeekStart } from '../organizations/organization.entity';
import type { WeekStart } from '../organizations/organization.entity';

export interface LineRow {
  id: string;
  serviceCode: string;
  /** Sorted, distinct, comma-joined ('' for none), as stored. */
  modifiers: string;
  totalUnits: number;
  usedUnits: number;
  scheduledUnits: number;
  /** Its authorization's only line, without a pool: its counters are the authorization's (no row of its own to write). */
  sole: boolean;
}

export interface CapRow {
  id: string;
  /** null: the cap counts every line of the authorization. */
  lineId: string | null;
  period: CapPeriod;
  units: number;
}

export interface BucketRow {
  capId: string;
  periodStart: string;
  periodEnd: string;
  period: CapPeriod;
  capUnits: number;
  usedUnits: number;
  scheduledUnits: number;
}

/** The counters of an authorization that bound all its lines together. */
export interface PoolCounters {
  totalUnits: number;
  linesTotalUnits: number;
  usedUnits: number;
  scheduledUnits: number;
}

/** Modifiers as stored: upper-case, sorted, distinct, comma-joined. */
export const canonicalModifiers = (modifiers: readonly string[] | undefined): string => [...new Set(modifiers ?? [])].sort().join(',');
export const modifierList = (stored: string): string[] => (stored === '' ? [] : stored.split(','));

export const lineAvailable = (l: LineRow): number => l.totalUnits - l.usedUnits - l.scheduledUnits;
/** The pool (or the sum of the lines' totals), whichever is tighter, less what is held. */
export const poolAvailable = (a: PoolCounters): number => Math.min(a.totalUnits, a.linesTotalUnits) - a.usedUnits - a.scheduledUnits;
export const bucketAvailable = (b: BucketRow): number => b.capUnits - b.usedUnits - b.scheduledUnits;

/**
 * The line a request names: with one line, that line unless another code is named; with several,
 * the code (and modifiers when two lines share the code) must pick exactly one.
 */
export function resolveLine(lines: LineRow[], serviceCode?: string, modifiers?: string[]): LineRow {
  if (serviceCode === undefined) {
    if (lines.length === 1) return lines[0];
    throw new LineRequiredError(lines.map((l) => l.serviceCode));
  }
  const sameCode = lines.filter((l) => l.serviceCode === serviceCode);
  if (modifiers !== undefined) {
    const wanted = canonicalModifiers(modifiers);
    const line = sameCode.find((l) => l.modifiers === wanted);
    if (!line) throw new NoMatchingLineError(serviceCode, modifiers);
    return line;
  }
  if (sameCode.length === 0) throw new NoMatchingLineError(serviceCode, undefined);
  if (sameCode.length > 1) throw new LineRequiredError(sameCode.map((l) => [l.serviceCode, ...modifierList(l.modifiers)].join('-')));
  return sameCode[0];
}

const DAY_MS = 86_400_000;

function dateOf(day: string): Date {
  const d = new Date(0);
  d.setUTCFullYear(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  return d;
}

function dayOf(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** The first and last day of the period containing `day` (SQL mirror: the function unit_period_start). */
export function periodOf(period: CapPeriod, day: string, weekStartsOn: WeekStart): { start: string; end: string } {
  if (period === 'DAY') return { start: day, end: day };
  const d = dateOf(day);
  if (period === 'WEEK') {
    const back = (d.getUTCDay() - (weekStartsOn === 'SUNDAY' ? 0 : 1) + 7) % 7;
    const start = new Date(d.getTime() - back * DAY_MS);
    return { start: dayOf(start), end: dayOf(new Date(start.getTime() + 6 * DAY_MS)) };
  }
  const start = new Date(0);
  start.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = new Date(0);
  end.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + 1, 0);
  return { start: dayOf(start), end: dayOf(end) };
}

/** The caps that count units of a line: its own and the authorization's. */
export const capsOfLine = (caps: CapRow[], lineId: string): CapRow[] => caps.filter((c) => c.lineId === null || c.lineId === lineId);

export const bucketKey = (capId: string, periodStart: string) => `${capId}|${periodStart}`;

/** Units that a move frees before its new hold is checked (SPEC §10: "as if the old hold were already gone"). */
export interface FreedHold {
  lineId: string;
  serviceDate: string;
  units: number;
}

const PERIOD_ORDER: Record<CapPeriod, number> = { DAY: 0, WEEK: 1, MONTH: 2 };

/**
 * Whether `units` fit on `line` at `serviceDate`: the line and the pool (409 INSUFFICIENT_UNITS with
 * the tightest of the two), then every cap's bucket (409 PERIOD_CAP_EXCEEDED naming the bucket with
 * the fewest units left; ties: DAY before WEEK before MONTH, the line's cap before the authorization's).
 */
export function checkLimits(
  pool: PoolCounters,
  line: LineRow,
  caps: CapRow[],
  bucketOf: (cap: CapRow) => BucketRow,
  serviceDate: string,
  weekStartsOn: WeekStart,
  units: number,
  freed?: FreedHold,
): void {
  const freedOnLine = freed && freed.lineId === line.id ? freed.units : 0;
  const available = Math.min(lineAvailable(line) + freedOnLine, poolAvailable(pool) + (freed ? freed.units : 0));
  if (units > available) throw new InsufficientUnitsError(available, units);
  let shortest: { cap: CapRow; bucket: BucketRow; left: number } | undefined;
  for (const cap of capsOfLine(caps, line.id)) {
    const bucket = bucketOf(cap);
    const freedHere = freed && (cap.lineId === null || cap.lineId === freed.lineId) && periodOf(cap.period, freed.serviceDate, weekStartsOn).start === bucket.periodStart ? freed.units : 0;
    const left = bucketAvailable(bucket) + freedHere;
    if (units <= left) continue;
    if (!shortest || left < shortest.left || (left === shortest.left && rank(cap) < rank(shortest.cap))) shortest = { cap, bucket, left };
  }
  if (shortest) {
    const { bucket, left } = shortest;
    throw new PeriodCapExceededError({ period: bucket.period, periodStart: bucket.periodStart, periodEnd: bucket.periodEnd, capUnits: bucket.capUnits, availableUnits: left, requestedUnits: units });
  }
}

const rank = (cap: CapRow) => PERIOD_ORDER[cap.period] * 2 + (cap.lineId === null ? 1 : 0);
