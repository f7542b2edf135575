import { AuthorizationLanes, BatchRunner, LANE_COUNT, laneOf, runIsolated } from './authorization-lanes';

/** Two ids in different lanes, and one more in the lane of the first. */
const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
const a = ids[0];
const b = ids.find((id) => laneOf(id) !== laneOf(a))!;
const sameLaneAsA = ids.find((id) => id !== a && laneOf(id) === laneOf(a))!;

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('AuthorizationLanes', () => {
  it('runs work of one lane one step at a time, in arrival order', async () => {
    const lanes = new AuthorizationLanes();
    const log: string[] = [];
    const gate = deferred();
    const first = lanes.run(a, async () => {
      log.push('first:start');
      await gate.promise;
      log.push('first:end');
    });
    const second = lanes.run(a, async () => void log.push('second'));
    await Promise.resolve();
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  it('lets different lanes proceed independently', async () => {
    const lanes = new AuthorizationLanes();
    const gate = deferred();
    const blocked = lanes.run(a, () => gate.promise);
    await expect(lanes.run(b, async () => 'b done')).resolves.toBe('b done');
    gate.resolve();
    await blocked;
  });

  it('keeps each authorization in one lane, spread over LANE_COUNT lanes', () => {
    for (const id of ids) expect(laneOf(id)).toBe(laneOf(id));
    expect(new Set(ids.map((id) => laneOf(id))).size).toBe(LANE_COUNT);
  });

  it('hands commands that queued up while the lane was busy to the runner together, each answered on its own', async () => {
    const lanes = new AuthorizationLanes();
    const gate = deferred();
    const batches: number[][] = [];
    const runner: BatchRunner<number, number> = async (commands) => {
      batches.push(commands);
      return commands.map((c) => (c < 0 ? { ok: false, error: new Error(`bad ${c}`) } : { ok: true, value: c * 10 }));
    };
    const blocked = lanes.run(a, () => gate.promise);
    const results = [1, -2, 3].map((n, i) => lanes.submit(i === 1 ? sameLaneAsA : a, n, runner));
    gate.resolve();
    await blocked;
    await expect(results[0]).resolves.toBe(10);
    await expect(results[1]).rejects.toThrow('bad -2');
    await expect(results[2]).resolves.toBe(30);
    expect(batches).toEqual([[1, -2, 3]]);
  });

  it('a failure does not block the lane, and idle lanes are forgotten', async () => {
    const lanes = new AuthorizationLanes();
    await expect(lanes.run(a, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(lanes.run(a, async () => 2)).resolves.toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(lanes.activeLanes).toBe(0);
  });

  it('a batch that fails as a whole is run again in parts: only the command that fails alone gets the error', async () => {
    const lanes = new AuthorizationLanes();
    const gate = deferred();
    const batches: number[][] = [];
    // Like PostgreSQL refusing one command's value: the batch's one statement fails for all.
    const runner: BatchRunner<number, number> = async (commands) => {
      batches.push(commands);
      if (commands.includes(13)) throw Object.assign(new Error('time zone displacement out of range'), { code: '22009' });
      return commands.map((c) => ({ ok: true, value: c * 10 }));
    };
    const blocked = lanes.run(a, () => gate.promise);
    const results = [1, 2, 13, 4, 5].map((n) => lanes.submit(a, n, runner));
    gate.resolve();
    await blocked;
    const settled = await Promise.allSettled(results);
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 20, 'time zone displacement out of range', 40, 50]);
    // Halves in arrival order, down to the single bad command.
    expect(batches).toEqual([[1, 2, 13, 4, 5], [1, 2, 13], [1, 2], [13], [4, 5]]);
  });
});

describe('runIsolated', () => {
  const failing = (error: unknown) => {
    const calls: number[][] = [];
    const runner: BatchRunner<number, number> = async (commands) => {
      calls.push(commands);
      throw error;
    };
    return { calls, runner };
  };

  it.each([
    ['a serialization failure', { code: '40001' }],
    ['a deadlock', { code: '40P01' }],
    ['a lost connection (the commit may have happened)', { code: 'ECONNRESET' }],
  ])('does not split the batch on %s: every command gets it, to be retried or reported on its own', async (_, error) => {
    const { calls, runner } = failing(error);
    expect(await runIsolated(runner, [1, 2, 3])).toEqual([1, 2, 3].map(() => ({ ok: false, error })));
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('gives every command its own error when each fails alone', async () => {
    const error = new Error('broken');
    const { calls, runner } = failing(error);
    expect(await runIsolated(runner, [1, 2, 3])).toEqual([1, 2, 3].map(() => ({ ok: false, error })));
    expect(calls).toEqual([[1, 2, 3], [1, 2], [1], [2], [3]]);
  });

  it('runs a batch that succeeds once, as it is', async () => {
    const calls: number[][] = [];
    const runner: BatchRunner<number, number> = async (commands) => (calls.push(commands), commands.map((c) => ({ ok: true, value: c })));
    expect(await runIsolated(runner, [1, 2])).toEqual([{ ok: true, value: 1 }, { ok: true, value: 2 }]);
    expect(calls).toEqual([[1, 2]]);
  });
});
