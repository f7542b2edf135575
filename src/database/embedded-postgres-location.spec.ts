import { reachableByOthers } from './embedded-postgres-location';

describe('reachableByOthers', () => {
  const modes = (table: Record<string, number>) => (dir: string) => table[dir];

  it('needs every directory on the way searchable by others', () => {
    const home = modes({ '/': 0o40755, '/root': 0o40700, '/root/clone': 0o40755 });
    expect(reachableByOthers('/root/clone/.data', home)).toBe(false);
    const tmp = modes({ '/': 0o40755, '/tmp': 0o41777, '/tmp/clone': 0o40755 });
    expect(reachableByOthers('/tmp/clone/.data', tmp)).toBe(true);
  });

  it('a mktemp -d directory (0700) keeps others out even under a public parent', () => {
    expect(reachableByOthers('/tmp/tmp.x1/clone', modes({ '/': 0o40755, '/tmp': 0o41777, '/tmp/tmp.x1': 0o40700, '/tmp/tmp.x1/clone': 0o40755 }))).toBe(false);
  });

  it('group permission is not enough: the postgres user is not in root\'s group', () => {
    expect(reachableByOthers('/srv/app', modes({ '/': 0o40755, '/srv': 0o40750, '/srv/app': 0o40755 }))).toBe(false);
  });

  it('a path not created yet is reachable when the part that exists is', () => {
    expect(reachableByOthers('/tmp/clone/.data', modes({ '/': 0o40755, '/tmp': 0o41777 }))).toBe(true);
  });
});
