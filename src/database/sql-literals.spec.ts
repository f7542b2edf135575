import { Client } from 'pg';
import { executeLiteral, inlined, literal, quoteLiteral } from './sql-literals';

/** pg's own escaping (Client#escapeLiteral uses no connection). */
const escapeLiteral = (text: string) => Client.prototype.escapeLiteral(text);

describe('SQL literals for the simple query protocol', () => {
  const tricky = ['', 'plain', "it's", "''", '\\', 'a\\b', "\\'", "'\\", '{"a":"b\\"c"}', 'é ü 漢字 🙂', 'line\nbreak\ttab', 'NULL', '$1 ?'];

  it("quoteLiteral writes exactly what pg's escapeLiteral writes", () => {
    for (const text of tricky) expect(quoteLiteral(text)).toBe(escapeLiteral(text));
    // Random strings over an alphabet rich in the characters that matter.
    const alphabet = ["'", '\\', '"', 'a', ' ', '{', '}', ',', 'é', '\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join('');
      expect(quoteLiteral(text)).toBe(escapeLiteral(text));
    }
  });

  it('literal and inlined: null, booleans, finite numbers, strings, arrays of strings and numbers; anything else cannot be written in', () => {
    expect(inlined('select ?, ?, ?, ?, ?, ?', [null, true, 7, "it's", ['a', 2], []])).toBe("select null, true, 7, 'it''s', array['a', 2], '{}'");
    expect(literal(Number.NaN)).toBeUndefined();
    expect(literal({})).toBeUndefined();
    expect(literal([{}])).toBeUndefined();
    expect(inlined('select ?', [new Date(0)])).toBeUndefined();
  });

  it('executeLiteral writes arrays as quoted array literals (elements quoted, NULL for null) that PostgreSQL converts to the parameter type', () => {
    expect(executeLiteral(['a"b', 'c\\d', null, 3])).toBe(escapeLiteral('{"a\\"b","c\\\\d",NULL,"3"}'));
    expect(executeLiteral('x')).toBe("'x'");
    expect(executeLiteral([undefined])).toBeUndefined();
  });
});
