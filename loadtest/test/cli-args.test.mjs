import test from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../lib/cli-args.mjs';

const spec = {
  scenario: { type: 'string', default: 'all', help: '' },
  rate: { type: 'number', help: '' },
  warmup: { type: 'number', default: 3000, min: 0, help: '' },
  quiet: { type: 'boolean', help: '' },
};

test('defaults apply and numbers are converted', () => {
  assert.deepEqual(parseCli(spec, '', []), { scenario: 'all', rate: undefined, warmup: 3000, quiet: undefined });
  assert.deepEqual(parseCli(spec, '', ['--rate', '12.5', '--quiet', '--scenario', '2']), {
    scenario: '2',
    rate: 12.5,
    warmup: 3000,
    quiet: true,
  });
});

test('a number must be above 0 unless the spec sets a minimum', () => {
  assert.throws(() => parseCli(spec, '', ['--rate', '0']), /--rate must be a number above 0/);
  assert.throws(() => parseCli(spec, '', ['--rate', 'fast']), /--rate must be a number above 0/);
  assert.equal(parseCli(spec, '', ['--warmup', '0']).warmup, 0);
  assert.throws(() => parseCli(spec, '', ['--warmup=-1']), /--warmup must be a number of at least 0/);
});

test('unknown options are refused', () => {
  assert.throws(() => parseCli(spec, '', ['--rat', '5']), /Unknown option '--rat'/);
});
