// Report directory: loadtest/reports/<timestamp>[-suffix]/
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHtml, renderMarkdown } from './report-render.mjs';

export const REPORTS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'reports');

export async function createReportDir(suffix) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const dir = path.join(REPORTS_ROOT, `${stamp}${suffix ? `-${suffix}` : ''}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Writes report.md, report.json and report.html; returns their paths. */
export async function writeReport(dir, title, blocks, json) {
  const files = {
    md: path.join(dir, 'report.md'),
    json: path.join(dir, 'report.json'),
    html: path.join(dir, 'report.html'),
  };
  await fs.writeFile(files.md, renderMarkdown(blocks));
  await fs.writeFile(files.json, JSON.stringify(json, null, 2));
  await fs.writeFile(files.html, renderHtml(title, blocks));
  return files;
}
