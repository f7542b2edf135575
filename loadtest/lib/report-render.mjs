// Renders a list of report blocks to Markdown and to a self-contained HTML page.
// Blocks: { h, level } | { p } | { table: { head, rows } } | { chart } | { code }
import { lineChart } from './svg-chart.mjs';

const cell = (v) => (v === null || v === undefined ? '—' : String(v));
const mdCell = (v) => cell(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const esc = (s) => cell(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function renderMarkdown(blocks) {
  const out = [];
  for (const b of blocks) {
    if (b.h) out.push(`${'#'.repeat(b.level ?? 2)} ${b.h}`, '');
    else if (b.p) out.push(b.p, '');
    else if (b.code) out.push('```', b.code, '```', '');
    else if (b.table) {
      out.push(`| ${b.table.head.map(mdCell).join(' | ')} |`, `|${b.table.head.map(() => '---').join('|')}|`);
      for (const row of b.table.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
      out.push('');
    } else if (b.chart) out.push(`_Chart “${b.chart.title}”: see report.html._`, '');
  }
  return out.join('\n');
}

const inline = (s) => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');

export function renderHtml(title, blocks) {
  const body = blocks.map((b) => {
    if (b.h) return `<h${b.level ?? 2}>${inline(b.h)}</h${b.level ?? 2}>`;
    if (b.p) return `<p>${inline(b.p)}</p>`;
    if (b.code) return `<pre>${esc(b.code)}</pre>`;
    if (b.chart) return `<figure>${lineChart(b.chart)}</figure>`;
    if (b.table) {
      const head = `<tr>${b.table.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
      const rows = b.table.rows
        .map((r) => `<tr>${r.map((c) => `<td class="${/^(PASS|MET|GO)\b/.test(cell(c)) ? 'ok' : /^(FAIL|MISSED|NO-GO)\b/.test(cell(c)) ? 'bad' : ''}">${inline(c)}</td>`).join('')}</tr>`)
        .join('');
      return `<table>${head}${rows}</table>`;
    }
    return '';
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:14px}
th{background:#f3f3f3}td.ok{color:#116611;font-weight:bold}td.bad{color:#b00000;font-weight:bold}
h1{border-bottom:2px solid #333}h2{margin-top:2em;border-bottom:1px solid #aaa}pre{background:#f6f6f6;padding:.6em;overflow:auto}
figure{margin:0 0 1em}
</style></head><body>
${body.join('\n')}
</body></html>
`;
}
