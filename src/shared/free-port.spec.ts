import { freePort } from './free-port';

describe('freePort', () => {
  it('never answers a port it must avoid, even when the kernel offers it again', async () => {
    const offered = [42513, 42513, 42514];
    expect(await freePort([42513], async () => offered.shift()!)).toBe(42514);
  });

  it('answers a port nothing listens on', async () => {
    expect(await freePort()).toBeGreaterThan(0);
  });
});
