// ns per id: the hand-written v7 generator that src/shared/ids.ts used before, and `uuid`'s v7
// (what newId() is now), in the same process, alternating rounds so that neither runs warmer.
//   npx ts-node --transpile-only -P tsconfig.spec.json test/bench/ids.bench.ts
import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';
import { newId } from '../../src/shared/ids';

function handWritten(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}

const candidates: [string, () => string][] = [
  ['hand-written (before)', handWritten],
  ['uuid v7 (newId, now)', newId],
  ['uuid v7 (direct call)', () => v7()],
];
const N = 1_000_000;
const ROUNDS = 5;
let sink = 0;
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of candidates) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink += make().length;
    const ns = Number(process.hrtime.bigint() - start) / N;
    best.set(name, Math.min(best.get(name) ?? Infinity, ns));
  }
}
for (const [name, ns] of best) console.log(`${name.padEnd(24)} ${ns.toFixed(1)} ns/id (best of ${ROUNDS} rounds of ${N})`);
if (sink === 0) console.log('');
