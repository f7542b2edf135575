#!/usr/bin/env node
// Writes deploy/prometheus-rule.yaml (a Prometheus Operator PrometheusRule) from the rules that
// ship with the service, ops/prometheus/rules.yml: one source of truth, two packagings.
//
//   node deploy/prometheus-rule.mjs           regenerate deploy/prometheus-rule.yaml
//   node deploy/prometheus-rule.mjs --check   exit 1 if it is out of date (manifests.test.mjs does the same)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
export const RULES_PATH = join(here, '..', 'ops', 'prometheus', 'rules.yml');
export const OUTPUT_PATH = join(here, 'prometheus-rule.yaml');

const HEADER = `# GENERATED from ops/prometheus/rules.yml by \`node deploy/prometheus-rule.mjs\`: edit rules.yml,
# then regenerate (deploy/manifests.test.mjs fails while the two differ).
#
# Prometheus Operator: the Prometheus resource loads this only if its ruleSelector (and
# ruleNamespaceSelector) match; many installations select on a label such as
# \`release: <helm release>\` or \`prometheus: k8s\`. Add that label below (or in kustomization.yaml).
# The rules select job="unit-ledger", the name of service.yaml's Service, which servicemonitor.yaml
# turns into the job label.
`;

/** The PrometheusRule object for the groups of a Prometheus rules file. */
export function prometheusRule(rulesText) {
  const rules = parse(rulesText);
  if (!rules || !Array.isArray(rules.groups) || rules.groups.length === 0) {
    throw new Error('ops/prometheus/rules.yml has no `groups`');
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'unit-ledger',
      labels: {
        'app.kubernetes.io/name': 'unit-ledger',
        'app.kubernetes.io/component': 'api',
        'app.kubernetes.io/part-of': 'unit-ledger',
      },
    },
    spec: { groups: rules.groups },
  };
}

export function renderPrometheusRule(rulesText) {
  return HEADER + stringify(prometheusRule(rulesText), { lineWidth: 0 });
}

function main(argv) {
  if (!existsSync(RULES_PATH)) {
    console.error(`${RULES_PATH} does not exist`);
    return 1;
  }
  const wanted = renderPrometheusRule(readFileSync(RULES_PATH, 'utf8'));
  if (argv.includes('--check')) {
    const current = existsSync(OUTPUT_PATH) ? readFileSync(OUTPUT_PATH, 'utf8') : '';
    if (current !== wanted) {
      console.error('deploy/prometheus-rule.yaml is out of date: run node deploy/prometheus-rule.mjs');
      return 1;
    }
    console.log('deploy/prometheus-rule.yaml is up to date');
    return 0;
  }
  writeFileSync(OUTPUT_PATH, wanted);
  console.log(`wrote ${OUTPUT_PATH}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
