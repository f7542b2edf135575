import { Client } from 'pg';
import { AuthorizationLanes, runIsolated } from '../../src/shared/transactions/authorization-lanes';

/**
 * Forcing interleavings in PostgreSQL from the outside: a separate SQL connection holds a lock the
 * service needs, the test waits (on a condition PostgreSQL reports, never on a timer) until the
 * service's transactions are queued behind it, then lets go.
 */

const opened = new Set<Client>();

/** A connection of its own, for holding locks (closed by closeLockClients, also when a test failed half-way). */
export async function lockClient(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  client.on('end', () => opened.delete(client));
  opened.add(client);
  await client.connect();
  return client;
}

/** Ends every lock connection still open: a lock left held would keep the service's transactions (and jest) waiting. */
export async function closeLockClients(): Promise<void> {
  await Promise.all([...opened].map((client) => client.end().catch(() => undefined)));
  opened.clear();
}

/**
 * Holds the row of an authorization FOR UPDATE in an open transaction: a unit of work on it reads
 * (SERIALIZABLE reads do not wait for row locks) and then waits *inside its transaction* at its
 * write. Released by `commit` (the row is unchanged: the waiter goes on without a conflict).
 */
export async function holdAuthorizationRow(client: Client, authorizationId: string): Promise<() => Promise<void>> {
  await client.query('begin');
  const { rowCount } = await client.query('select 1 from authorizations where id = $1 for update', [authorizationId]);
  if (rowCount !== 1) throw new Error(`no authorization ${authorizationId}`);
  return async () => void (await client.query('commit'));
}

/**
 * Holds the advisory lock the service takes per authorization (database.service.ts: lock key
 * hashtextextended(id, 0)): a unit of work on it waits *before* BEGIN, as a transaction of another
 * instance would make it wait.
 */
export async function holdAdvisoryLock(client: Client, authorizationId: string): Promise<() => Promise<void>> {
  await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [authorizationId]);
  return async () => void (await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [authorizationId]));
}

/** Backends of this database waiting for a lock (row, tuple, transaction or advisory). */
export async function lockWaiters(sql: Client): Promise<{ pid: number; application: string; lockType: string }[]> {
  const { rows } = await sql.query(
    `select a.pid, coalesce(a.application_name, '') as application, coalesce(l.locktype, '') as "lockType"
     from pg_stat_activity a left join pg_locks l on l.pid = a.pid and not l.granted
     where a.datname = current_database() and a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid()`,
  );
  return rows;
}

/** Backends waiting on a lock that `holderPid` holds (directly). */
export async function blockedBy(sql: Client, holderPid: number): Promise<number[]> {
  const { rows } = await sql.query(
    `select pid from pg_stat_activity where datname = current_database() and $1 = any(pg_blocking_pids(pid))`,
    [holderPid],
  );
  return rows.map((r) => r.pid as number);
}

/** Polls a condition PostgreSQL (or the process) reports until it holds; fails after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const backendPid = async (client: Client): Promise<number> => (await client.query('select pg_backend_pid() as pid')).rows[0].pid;

/**
 * Switches one instance's lanes off (test-only, on the instance's own provider): every command runs
 * alone in its own unit of work at once, as if each request came from another instance, so races
 * inside this instance meet in PostgreSQL — the advisory locks, SERIALIZABLE and the CHECK
 * constraints — instead of queueing in a lane.
 */
export function switchLanesOff(lanes: AuthorizationLanes): void {
  Object.assign(lanes, {
    run: <T>(_authorizationId: string, work: () => Promise<T>) => work(),
    submit: async <C, R>(_authorizationId: string, command: C, runner: (commands: C[]) => Promise<{ ok: boolean; value?: R; error?: unknown }[]>) => {
      const [result] = await runIsolated(runner as never, [command]);
      if (result.ok) return (result as { value: R }).value;
      throw (result as { error: unknown }).error;
    },
  });
}
