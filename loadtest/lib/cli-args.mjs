// Command-line parsing shared by run.mjs, bench.mjs and ci-smoke.mjs.
import { parseArgs } from 'node:util';

/**
 * Parses argv against a spec of { name: { type, default, help } } and prints
 * usage on --help. Numbers are declared as type 'number' and converted here; they must
 * be above 0 unless the spec sets `min`.
 */
export function parseCli(spec, usageTitle, args = process.argv.slice(2)) {
  const options = { help: { type: 'boolean', short: 'h' } };
  for (const [name, def] of Object.entries(spec)) {
    options[name] = { type: def.type === 'boolean' ? 'boolean' : 'string' };
  }
  const { values } = parseArgs({ args, options, allowPositionals: false, strict: true });
  if (values.help) {
    const lines = Object.entries(spec).map(([name, def]) => {
      const dflt = def.default === undefined ? '' : ` (default: ${def.default})`;
      return `  --${name.padEnd(18)} ${def.help}${dflt}`;
    });
    console.log(`${usageTitle}\n\nOptions:\n${lines.join('\n')}`);
    process.exit(0);
  }
  const out = {};
  for (const [name, def] of Object.entries(spec)) {
    let v = values[name] ?? def.default;
    if (def.type === 'number' && v !== undefined) {
      v = Number(v);
      const min = def.min ?? Number.MIN_VALUE;
      if (!Number.isFinite(v) || v < min) {
        throw new Error(`--${name} must be a number ${min > 0 ? 'above 0' : `of at least ${min}`}`);
      }
    }
    out[name] = v;
  }
  return out;
}
