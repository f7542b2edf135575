import { AuthorizationLanes } from './authorization-lanes';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('AuthorizationLanes', () => {
  it('runs work on one authorization one at a time, in arrival order', async () => {
    const lanes = new AuthorizationLanes();
    const log: string[] = [];
    const gate = deferred();
    const first = lanes.run('a', async () => {
      log.push('first:start');
      await gate.promise;
      log.push('first:end');
    });
    const second = lanes.run('a', async () => void log.push('second'));
    await Promise.resolve();
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  it('lets different authorizations proceed independently', async () => {
    const lanes = new AuthorizationLanes();
    const gate = deferred();
    const blocked = lanes.run('a', () => gate.promise);
    await expect(lanes.run('b', async () => 'b done')).resolves.toBe('b done');
    gate.resolve();
    await blocked;
  });

  it('a failure does not block the lane, and idle lanes are forgotten', async () => {
    const lanes = new AuthorizationLanes();
    await expect(lanes.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(lanes.run('a', async () => 2)).resolves.toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(lanes.activeLanes).toBe(0);
  });
});
