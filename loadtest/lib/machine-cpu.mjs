// Whole-machine CPU use over an interval (Linux /proc/stat), so a report shows
// when something else was competing with the measured run.
import fs from 'node:fs';
import os from 'node:os';

function snapshot() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** start() → stop() returns { busyCores, cores } (busyCores: average number of busy cores). */
export function startMachineCpu() {
  const a = snapshot();
  return () => {
    const b = snapshot();
    const cores = os.cpus().length;
    if (!a || !b || b.total === a.total) return { busyCores: null, cores };
    const busy = 1 - (b.idle - a.idle) / (b.total - a.total);
    return { busyCores: Math.round(busy * cores * 100) / 100, cores };
  };
}
