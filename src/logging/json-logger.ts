import { LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';
import { LogLevel } from '../config/app-config';

const PINO_LEVEL: Record<LogLevel, pino.Level> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** One JSON object per line on stdout (pino): what log collectors read without parsing rules. */
export function createJsonLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination({ fd: 1, sync: false })): Pino {
  return pino({ level: PINO_LEVEL[level], base: { service: 'unit-ledger' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

const contextOf = (params: unknown[]) => (typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined);

/** Nest's own log lines (start-up, errors) through the same JSON logger. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  private write(level: pino.Level, message: unknown, params: unknown[]) {
    const context = contextOf(params);
    if (message instanceof Error) this.pino[level]({ context, err: message }, message.message);
    else this.pino[level]({ context }, String(message));
  }

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }
}
