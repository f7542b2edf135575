// Dependency-free SVG line charts for the self-contained HTML report.
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function niceStep(range, ticks) {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

const fmt = (v) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3).replace(/\.?0+$/, ''));

/** series: [{ name, points: [[x, y|null], ...] }] — null y leaves a gap. */
export function lineChart({ title, xLabel, yLabel, series, width = 760, height = 280 }) {
  const m = { l: 60, r: 20, t: 30, b: 58 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const all = series.flatMap((s) => s.points.filter((p) => p[1] !== null && Number.isFinite(p[1])));
  if (!all.length) return `<p><em>${esc(title)}: no data</em></p>`;
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yStep = niceStep(Math.max(...all.map((p) => p[1]), 1e-9), 5);
  const yMax = Math.max(yStep, Math.ceil(Math.max(...all.map((p) => p[1])) / yStep) * yStep);
  const X = (x) => m.l + (x / xMax) * w;
  const Y = (y) => m.t + h - (y / yMax) * h;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${Y(y)}" y2="${Y(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  const xStep = Math.max(1, niceStep(xMax, 8));
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    parts.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${m.t + h}" y2="${m.t + h + 4}" stroke="#333"/>`);
    parts.push(`<text x="${X(x)}" y="${m.t + h + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + w / 2}" y="${m.t + h + 32}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`;
      pen = true;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    const lx = m.l + i * 150;
    parts.push(`<rect x="${lx}" y="${height - 14}" width="12" height="4" fill="${color}"/><text x="${lx + 16}" y="${height - 9}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
