#!/usr/bin/env node
// The module graph at folder level (`npm run check:graph`, a CI step): every import between files
// under src/ becomes an edge between their folders — the top folder (auth, users, database, …), and
// for shared/ its sub-folder (shared/errors, shared/transactions, …). The check fails on
//  - any cycle between folders,
//  - shared/ importing a feature folder,
//  - database/ or config/ importing a feature (each feature registers its own entities).
// Files directly in src/ (main.ts, app.module.ts, migrate.ts, …) are the wiring: they may import
// anything, and nothing may import them. Specs (*.spec.ts) are left out: tests are not modules.
// `--print` lists the folder graph. The TypeScript compiler's own import scanner reads the files.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const BELOW_SHARED = new Set(['database', 'config']);

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** 'auth', 'shared/errors', 'shared' (a file directly in shared/), or '' (a file directly in src/). */
function folderOf(file) {
  const parts = relative(root, file).split(sep);
  if (parts.length === 1) return '';
  if (parts[0] === 'shared') return parts.length > 2 ? `shared/${parts[1]}` : 'shared';
  return parts[0];
}

function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const edges = new Map(); // folder -> Map(folder -> [file → file])
const problems = [];
for (const file of sources(root)) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of importedFiles) {
    const target = resolveImport(file, fileName);
    if (!target) continue;
    const [a, b] = [folderOf(file), folderOf(target)];
    if (a === b) continue;
    const why = `${relative(root, file)} → ${relative(root, target)}`;
    if (b === '') problems.push(`nothing may import the wiring in src/: ${why}`);
    if (a === '') continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, []);
    edges.get(a).get(b).push(why);
  }
}

const isShared = (f) => f === 'shared' || f.startsWith('shared/');
const isFeature = (f) => f !== '' && !isShared(f) && !BELOW_SHARED.has(f);
for (const [a, targets] of edges) {
  for (const [b, whys] of targets) {
    if (isShared(a) && isFeature(b)) problems.push(`shared/ imports the feature ${b}: ${whys.join('; ')}`);
    if (BELOW_SHARED.has(a) && isFeature(b)) problems.push(`${a}/ imports the feature ${b}: ${whys.join('; ')}`);
  }
}

// Strongly connected components (Tarjan): every component of more than one folder is a cycle.
const folders = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((t) => [...t.keys()])])].sort();
const index = new Map(), low = new Map(), stack = [], onStack = new Set(), components = [];
let counter = 0;
function visit(v) {
  index.set(v, counter); low.set(v, counter); counter++;
  stack.push(v); onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const f of folders) if (!index.has(f)) visit(f);
for (const component of components) {
  const inside = component.flatMap((a) => [...(edges.get(a) ?? new Map())].filter(([b]) => component.includes(b)).map(([b, whys]) => `  ${a} → ${b}: ${whys.join('; ')}`));
  problems.push(`cycle between ${component.join(', ')}:\n${inside.join('\n')}`);
}

if (process.argv.includes('--print')) {
  for (const f of folders) console.log(`${f || '(src)'} → ${[...(edges.get(f)?.keys() ?? [])].sort().join(', ') || '—'}`);
}
if (problems.length) {
  console.error(`Module graph: ${problems.length} problem(s)\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`Module graph: ${folders.length} folders, no cycles; shared/, database/ and config/ import no feature`);
