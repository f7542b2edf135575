import { FieldProblem, ValidationFailedError } from '../shared/errors/api-error';
import { newId } from '../shared/ids';
import type { CapDto, CreateAuthorizationDto, CreateLineDto } from './authorization.dto';
import { NewLine } from './authorization.repository';
import { canonicalModifiers, CapRow } from './unit-limits';

/** The rows a new authorization is made of (SPEC §10): its lines, caps and totals. */
export interface AuthorizationShape {
  serviceCode: string | null;
  totalUnits: number;
  poolUnits: number | null;
  linesTotalUnits: number;
  lines: NewLine[];
  caps: CapRow[];
}

const MAX_TOTAL = 1_000_000;

/** At most this many lines on an authorization (SPEC §10). */
export const MAX_LINES = 20;

/**
 * The columns of the authorization row once its lines' totals add up to `linesTotalUnits`: without a
 * pool that sum is its total, which stays within 1,000,000 as in v1 (400 naming `field` otherwise).
 */
export function linesTotalColumns(poolUnits: number | null, linesTotalUnits: number, field: string): { lines_total_units: number; total_units: number } {
  if (poolUnits === null && linesTotalUnits > MAX_TOTAL) {
    throw new ValidationFailedError([{ field, message: `the lines' totals add up to more than ${MAX_TOTAL} (use poolUnits)` }]);
  }
  return { lines_total_units: linesTotalUnits, total_units: poolUnits ?? linesTotalUnits };
}

/** Caps of one scope (a line, or the authorization when lineId is null): at most one per period. */
export function capRows(caps: CapDto[] | undefined, lineId: string | null, field: string): CapRow[] {
  const periods = (caps ?? []).map((c) => c.period);
  if (new Set(periods).size !== periods.length) throw new ValidationFailedError([{ field, message: `${field} must have at most one cap per period` }]);
  return (caps ?? []).map((c) => ({ id: newId(), lineId, period: c.period, units: c.units }));
}

export function lineRow(dto: CreateLineDto): NewLine {
  return { id: newId(), serviceCode: dto.serviceCode, modifiers: canonicalModifiers(dto.modifiers), totalUnits: dto.totalUnits };
}

/** A line's code and modifier set, for "no two lines alike". */
export const lineIdentity = (l: { serviceCode: string; modifiers: string }) => `${l.serviceCode}|${l.modifiers}`;

/**
 * Either the v1 shape (`serviceCode` + `totalUnits`, optional `caps`: one line) or `lines` with
 * optional `poolUnits` and `caps`, never both. Without a pool the lines' totals add up to the
 * authorization's total, which stays within 1,000,000 as in v1.
 */
export function shapeOf(dto: CreateAuthorizationDto): AuthorizationShape {
  const problems: FieldProblem[] = [];
  if (dto.lines === undefined) {
    if (dto.serviceCode === undefined) problems.push({ field: 'serviceCode', message: 'serviceCode (with totalUnits) or lines is required' });
    if (dto.totalUnits === undefined) problems.push({ field: 'totalUnits', message: 'totalUnits (with serviceCode) or lines is required' });
    if (dto.poolUnits !== undefined) problems.push({ field: 'poolUnits', message: 'poolUnits goes with lines' });
    if (problems.length) throw new ValidationFailedError(problems);
    const line = lineRow({ serviceCode: dto.serviceCode!, totalUnits: dto.totalUnits! });
    const total = dto.totalUnits!;
    return { serviceCode: line.serviceCode, totalUnits: total, poolUnits: null, linesTotalUnits: total, lines: [line], caps: capRows(dto.caps, null, 'caps') };
  }
  for (const field of ['serviceCode', 'totalUnits'] as const) {
    if (dto[field] !== undefined) problems.push({ field, message: `${field} and lines are two shapes of one authorization: send one` });
  }
  if (problems.length) throw new ValidationFailedError(problems);
  const lines = dto.lines.map(lineRow);
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (seen.has(lineIdentity(line))) problems.push({ field: `lines.${i}`, message: 'two lines have the same serviceCode and modifiers' });
    seen.add(lineIdentity(line));
  });
  if (problems.length) throw new ValidationFailedError(problems);
  const poolUnits = dto.poolUnits ?? null;
  const totals = linesTotalColumns(poolUnits, lines.reduce((sum, l) => sum + l.totalUnits, 0), 'lines');
  const caps = [
    ...capRows(dto.caps, null, 'caps'),
    ...dto.lines.flatMap((l, i) => capRows(l.caps, lines[i].id, `lines.${i}.caps`)),
  ];
  return { serviceCode: lines.length === 1 ? lines[0].serviceCode : null, totalUnits: totals.total_units, poolUnits, linesTotalUnits: totals.lines_total_units, lines, caps };
}
