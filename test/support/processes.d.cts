import type { ChildProcess } from 'node:child_process';

export declare const REPO_ROOT: string;
export declare const MAIN: string;
export declare function sleep(ms: number): Promise<void>;
export declare function freePort(): Promise<number>;
export declare function ensureBuilt(log?: (line: string) => void): string;
export declare function compiled<T = unknown>(modulePath: string, exportsNeeded?: string[], log?: (line: string) => void): T;
export declare function exitOf(child: ChildProcess): Promise<number | null>;
export declare function stopChild(child: ChildProcess, killAfterMs?: number, signal?: NodeJS.Signals): Promise<number | null>;
export declare function httpStatus(url: string, timeoutMs?: number): Promise<number>;
export declare function readiness(baseUrl: string): Promise<number>;

export interface WaitOptions {
  child?: ChildProcess;
  timeoutMs?: number;
  intervalMs?: number;
  why?: () => string;
}
export declare function waitFor200(url: string, options?: WaitOptions): Promise<number>;
export declare function waitReady(baseUrl: string, options?: WaitOptions): Promise<number>;

export interface SpawnOptions {
  env: Record<string, string | undefined>;
  port?: number;
  main?: string;
  logFile?: string;
  cwd?: string;
  log?: (line: string) => void;
}
export interface SpawnedService {
  baseUrl: string;
  port: number;
  pid: number | undefined;
  child: ChildProcess;
  /** stdout, line by line (when no logFile). */
  lines: string[];
  stderr(): string;
  exited: Promise<number | null>;
  readonly alive: boolean;
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
  kill(): Promise<number | null>;
}
export declare function spawnService(options: SpawnOptions): Promise<SpawnedService>;
export declare function startService(options: SpawnOptions & { readyTimeoutMs?: number; onSpawn?: (service: SpawnedService) => void }): Promise<SpawnedService>;
export declare function runUntilExit(options: { env: Record<string, string | undefined>; main?: string; cwd?: string }): Promise<{ code: number | null; stdout: string; stderr: string }>;
