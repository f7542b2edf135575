// Checks the Kubernetes manifests and the Dockerfile against the Kubernetes schemas and against
// the application itself (routes, port, environment variables, shutdown timing, Prometheus rules).
//
//   node --test deploy/
//
// Needs the repository's devDependencies (kubernetes-models, yaml, typescript); no cluster, no
// Docker. Two checks need a tool on PATH: promtool (Debian: prometheus) and kubectl (Debian:
// kubernetes-client) for `kubectl kustomize`. Under CI=true a missing tool FAILS the check (.ci/run
// installs both first); elsewhere the check is skipped, and the skip names the missing tool.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { prometheusRule, RULES_PATH } from './prometheus-rule.mjs';

const DEPLOY = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(DEPLOY, '..');
const NODE_MODULES = join(ROOT, 'node_modules');
const read = (path) => readFileSync(join(ROOT, path), 'utf8');

/** CI=true (or 1/yes): every check must run; a missing tool is a failure, not a skip. */
const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

/**
 * Whether `tool` answers `args` (its version); if not, fails under CI and skips elsewhere, saying so.
 * Returns true when the check may go on.
 */
function requireTool(t, tool, args, install) {
  const probe = spawnSync(tool, args, { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const why = `${tool} is not on PATH (${probe.error?.code ?? `exit ${probe.status}: ${(probe.stderr ?? '').trim().slice(0, 200)}`}); install ${install}`;
  if (IN_CI) assert.fail(`CI=true: this check must run, but ${why}`);
  t.skip(`NOT CHECKED (CI is not set): ${why}`);
  return false;
}

// ---------------------------------------------------------------------------------------------
// The manifests

const MANIFEST_FILES = readdirSync(DEPLOY)
  .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
  .sort();

/** Every document of every manifest file, as { file, object }. */
const documents = MANIFEST_FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((doc) => {
    assert.equal(doc.errors.length, 0, `${file}: YAML errors: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file, object: doc.toJS() };
  }),
).filter(({ object }) => object !== null);

const only = (kind) => {
  const found = documents.filter(({ object }) => object.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind} expected, found ${found.length}`);
  return found[0].object;
};

/** Core kinds: the kubernetes-models class and the .d.ts declaring its fields. */
const CORE_MODELS = {
  'v1/ConfigMap': { Model: ConfigMap, dts: 'kubernetes-models/v1/ConfigMap.d.ts' },
  'v1/Secret': { Model: Secret, dts: 'kubernetes-models/v1/Secret.d.ts' },
  'v1/Service': { Model: Service, dts: 'kubernetes-models/v1/Service.d.ts' },
  'apps/v1/Deployment': { Model: Deployment, dts: 'kubernetes-models/apps/v1/Deployment.d.ts' },
  'policy/v1/PodDisruptionBudget': { Model: PodDisruptionBudget, dts: 'kubernetes-models/policy/v1/PodDisruptionBudget.d.ts' },
};
const CUSTOM_KINDS = ['monitoring.coreos.com/v1/PrometheusRule', 'monitoring.coreos.com/v1/ServiceMonitor'];

// ---------------------------------------------------------------------------------------------
// Unknown fields. kubernetes-models validates types, enums and required fields, but its schemas
// allow any extra property, so a misspelt `readinesProbe` would pass it while the API server
// (strict field validation, kubectl's default) rejects it. The field names of every Kubernetes
// type are in the package's .d.ts files; this walks an object along them.

const interfaceCache = new Map();

function resolveDts(spec, fromFile) {
  const bare = spec.replace(/\.js$/, '');
  return bare.startsWith('.') ? resolve(dirname(fromFile), `${bare}.d.ts`) : join(NODE_MODULES, `${bare}.d.ts`);
}

/** Fields of interface `name` as declared in (or re-exported by) a .d.ts file: Map field → type. */
function interfaceFields(file, name) {
  const key = `${file}#${name}`;
  if (interfaceCache.has(key)) return interfaceCache.get(key);
  const text = readFileSync(file, 'utf8');
  const alias = new RegExp(`export type \\{ (\\w+) as ${name}\\b`).exec(text);
  const local = alias ? alias[1] : name;
  const block = new RegExp(`export interface ${local}\\b[^{]*\\{\\n([\\s\\S]*?)\\n\\}`).exec(text);
  let result = null; // a type alias (IntOrString, Quantity, Time...): a leaf
  if (block) {
    const imports = new Map();
    for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)"/g)) {
      for (const imported of m[1].split(',').map((s) => s.trim())) imports.set(imported, resolveDts(m[2], file));
    }
    const fields = new Map();
    // A field is `    "name"?: Type;` or a map over several lines: `    "name"?: {` ... `    };`
    const lines = block[1].split('\n').filter((line) => !/^\s*(\/\*\*|\*)/.test(line));
    for (let i = 0; i < lines.length; i++) {
      const m = /^ {4}"([^"]+)"\??: (.*)$/.exec(lines[i]);
      if (!m) continue;
      let type = m[2];
      if (type === '{') {
        const inner = [];
        while (!/^ {4}\};?$/.test(lines[++i])) inner.push(lines[i].trim());
        type = `{ ${inner.join(' ')} }`;
      }
      fields.set(m[1], { type: type.replace(/;$/, ''), imports, file });
    }
    result = fields;
  }
  interfaceCache.set(key, result);
  return result;
}

/** Paths of properties that no Kubernetes type declares, walking `value` as `type`. */
function unknownFields(value, type, context, path, found = []) {
  if (value === null || value === undefined) return found;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, array[1], context, `${path}[${i}]`, found));
    return found;
  }
  const map = /^\{ \[key: string\]: (.+?);? \}$/.exec(type);
  if (map) {
    for (const [key, item] of Object.entries(value)) unknownFields(item, map[1], context, `${path}.${key}`, found);
    return found;
  }
  if (!/^I[A-Z]\w*$/.test(type) || typeof value !== 'object' || Array.isArray(value)) return found;
  const file = context.imports.get(type) ?? context.file;
  const fields = interfaceFields(file, type);
  if (!fields) return found;
  for (const [key, item] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) found.push(`${path}.${key}`);
    else unknownFields(item, field.type, field, `${path}.${key}`, found);
  }
  return found;
}

function unknownFieldsOfKind(object, dts) {
  const file = join(NODE_MODULES, dts);
  const kind = /(\w+)\.d\.ts$/.exec(dts)[1];
  return unknownFields(object, `I${kind}`, { imports: new Map(), file }, object.kind);
}

const OBJECT_META = 'kubernetes-models/v1/ConfigMap.d.ts'; // any kind: its `metadata` is ObjectMeta

/** ObjectMeta of a custom resource, validated by wrapping it in a core kind. */
function validateObjectMeta(object) {
  new ConfigMap({ metadata: object.metadata }).validate();
  return unknownFieldsOfKind({ kind: object.kind, metadata: object.metadata }, OBJECT_META);
}

// ---------------------------------------------------------------------------------------------
// The application, read from its source

/** Every environment variable the service reads: the keys of its zod schema (src/config/env.schema.ts). */
function acceptedEnvNames() {
  const { ENV_KEYS } = configFromSource();
  assert.ok(Array.isArray(ENV_KEYS) && ENV_KEYS.includes('PORT'), 'src/config/env.schema.ts exports ENV_KEYS, the schema\'s keys');
  return new Set(ENV_KEYS);
}

/** The variables named in README's configuration table (rows of `| variable | default | meaning |`). */
function readmeConfigurationNames() {
  const lines = read('README.md').split('\n');
  const header = lines.findIndex((line) => /^\|\s*variable\s*\|\s*default\s*\|/.test(line));
  assert.ok(header >= 0, 'README.md has a configuration table (| variable | default | meaning |)');
  const names = new Set();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const first = line.split('|')[1];
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return names;
}

/** GET routes served outside the /api/v1 prefix, e.g. /health/live, from the controllers' source. */
function rootRoutes() {
  const excluded = [...read('src/app.factory.ts').matchAll(/\{\s*path:\s*'([^']+)',\s*method:\s*RequestMethod\.GET\s*\}/g)].map((m) => `/${m[1]}`);
  const served = new Set();
  for (const file of ['src/health/health.controller.ts', 'src/metrics/metrics.controller.ts']) {
    const source = read(file);
    const base = /@Controller\('([^']*)'\)/.exec(source)?.[1];
    assert.ok(base !== undefined, `no @Controller('...') in ${file}`);
    for (const m of source.matchAll(/@Get\((?:'([^']*)')?\)/g)) served.add(`/${[base, m[1]].filter(Boolean).join('/')}`);
  }
  return { excluded, served };
}

/** src/config/*.ts transpiled to CommonJS, so the test can call the service's own loadConfig and read its schema. */
let compiledConfig;
function configFromSource() {
  if (compiledConfig) return compiledConfig;
  const require = createRequire(import.meta.url);
  const ts = require('typescript');
  mkdirSync(join(NODE_MODULES, '.cache'), { recursive: true });
  const out = mkdtempSync(join(NODE_MODULES, '.cache', 'deploy-manifests-test-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  const configDir = join(ROOT, 'src', 'config');
  for (const name of readdirSync(configDir).filter((n) => n.endsWith('.ts') && !n.endsWith('.spec.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(configDir, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: name,
    });
    writeFileSync(join(out, name.replace(/\.ts$/, '.js')), outputText);
  }
  const load = createRequire(join(out, 'index.js'));
  compiledConfig = { ...load('./load-config.js'), ...load('./env.schema.js') };
  return compiledConfig;
}

// ---------------------------------------------------------------------------------------------
// Helpers on the objects

const deployment = () => only('Deployment');
const podSpec = () => deployment().spec.template.spec;
const container = () => {
  const containers = podSpec().containers;
  assert.equal(containers.length, 1, 'one container expected');
  return containers[0];
};
const configMap = () => only('ConfigMap');
const secret = () => only('Secret');
const secretData = () => ({
  ...Object.fromEntries(Object.entries(secret().data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
  ...(secret().stringData ?? {}),
});
const subset = (small, big) => Object.entries(small ?? {}).every(([k, v]) => big?.[k] === v);

/** A container port, by number or by name, as a number. */
function containerPortOf(port) {
  if (typeof port === 'number') return port;
  const named = (container().ports ?? []).find((p) => p.name === port);
  assert.ok(named, `no container port named "${port}"`);
  return named.containerPort;
}

const GO_DURATION = /^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$/;
const durationSeconds = (d) => {
  const units = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
  return [...d.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * units[u], 0);
};
const assertOnlyKeys = (object, allowed, where) => {
  const extra = Object.keys(object ?? {}).filter((k) => !allowed.includes(k));
  assert.deepEqual(extra, [], `${where}: unknown fields ${extra.join(', ')}`);
};

// =============================================================================================

describe('schemas', () => {
  test('the manifests are the expected set', () => {
    const kinds = documents.map(({ object }) => `${object.apiVersion}/${object.kind}`).sort();
    assert.deepEqual(kinds, [...Object.keys(CORE_MODELS), ...CUSTOM_KINDS].sort());
  });

  for (const { file, object } of documents) {
    const key = `${object.apiVersion}/${object.kind}`;
    test(`${file}: ${key} is valid`, () => {
      assert.ok(object.metadata?.name, 'metadata.name');
      assert.equal(object.metadata.namespace, undefined, 'no namespace in the manifests: apply with -n');
      const core = CORE_MODELS[key];
      if (core) {
        new core.Model(object).validate(); // throws with every schema violation
        assert.deepEqual(unknownFieldsOfKind(object, core.dts), [], 'fields no Kubernetes type declares');
      } else {
        assert.ok(CUSTOM_KINDS.includes(key), `unexpected kind ${key}`);
        assert.deepEqual(validateObjectMeta(object), [], 'unknown metadata fields');
      }
    });
  }

  test('the unknown-field check catches misspelt fields (self-test)', () => {
    const broken = structuredClone(deployment());
    broken.spec.template.spec.containers[0].readinesProbe = broken.spec.template.spec.containers[0].readinessProbe;
    broken.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    broken.spec.replica = 3;
    broken.spec.template.spec.containers[0].startupProbe.httpGet.pathh = '/x';
    broken.spec.template.spec.volumes[0].emptyDir.sizeLimitt = '1Mi';
    broken.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabel = {};
    broken.spec.template.metadata.label = {};
    new Deployment(broken).validate(); // the schema alone lets them through
    assert.deepEqual(unknownFieldsOfKind(broken, CORE_MODELS['apps/v1/Deployment'].dts).sort(), [
      'Deployment.spec.replica',
      'Deployment.spec.template.metadata.label',
      'Deployment.spec.template.spec.containers[0].readinesProbe',
      'Deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem',
      'Deployment.spec.template.spec.containers[0].startupProbe.httpGet.pathh',
      'Deployment.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabel',
      'Deployment.spec.template.spec.volumes[0].emptyDir.sizeLimitt',
    ]);
    assert.throws(() => new Deployment({ ...broken, spec: { ...broken.spec, replicas: '3' } }).validate(), /replicas must be integer/);
  });

  test('ServiceMonitor matches the Prometheus Operator schema (fields used here)', () => {
    const monitor = only('ServiceMonitor');
    assertOnlyKeys(monitor, ['apiVersion', 'kind', 'metadata', 'spec'], 'ServiceMonitor');
    assertOnlyKeys(monitor.spec, ['selector', 'endpoints', 'jobLabel', 'namespaceSelector'], 'ServiceMonitor.spec');
    assert.ok(monitor.spec.selector?.matchLabels, 'spec.selector.matchLabels');
    assert.ok(Array.isArray(monitor.spec.endpoints) && monitor.spec.endpoints.length > 0, 'spec.endpoints');
    for (const endpoint of monitor.spec.endpoints) {
      assertOnlyKeys(endpoint, ['port', 'path', 'interval', 'scrapeTimeout', 'scheme', 'authorization'], 'endpoint');
      assert.equal(typeof endpoint.port, 'string', 'endpoint.port is a Service port name');
      assert.match(endpoint.interval, GO_DURATION);
      assert.match(endpoint.scrapeTimeout, GO_DURATION);
      assert.ok(durationSeconds(endpoint.scrapeTimeout) <= durationSeconds(endpoint.interval), 'scrapeTimeout <= interval');
      if (endpoint.authorization) {
        assertOnlyKeys(endpoint.authorization, ['type', 'credentials'], 'endpoint.authorization');
        assert.equal(endpoint.authorization.type, 'Bearer');
        assertOnlyKeys(endpoint.authorization.credentials, ['name', 'key', 'optional'], 'authorization.credentials');
      }
    }
  });

  test('PrometheusRule matches the Prometheus Operator schema', () => {
    const rule = only('PrometheusRule');
    assertOnlyKeys(rule, ['apiVersion', 'kind', 'metadata', 'spec'], 'PrometheusRule');
    assertOnlyKeys(rule.spec, ['groups'], 'PrometheusRule.spec');
    const names = new Set();
    for (const group of rule.spec.groups) {
      assertOnlyKeys(group, ['name', 'interval', 'rules', 'limit', 'partial_response_strategy', 'query_offset', 'labels'], `group ${group.name}`);
      assert.ok(typeof group.name === 'string' && group.name.length > 0, 'group name');
      assert.ok(!names.has(group.name), `duplicate group ${group.name}`);
      names.add(group.name);
      assert.ok(Array.isArray(group.rules) && group.rules.length > 0, `group ${group.name} has rules`);
      for (const r of group.rules) {
        const where = `${group.name}/${r.record ?? r.alert}`;
        assertOnlyKeys(r, ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'], where);
        assert.ok((r.record === undefined) !== (r.alert === undefined), `${where}: exactly one of record, alert`);
        if (r.record !== undefined) {
          assert.match(r.record, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, `${where}: record name`);
          assert.equal(r.annotations, undefined, `${where}: recording rules take no annotations`);
          assert.equal(r.for, undefined, `${where}: recording rules take no for`);
        }
        assert.ok(['string', 'number'].includes(typeof r.expr) && String(r.expr).trim(), `${where}: expr`);
        if (r.for !== undefined) assert.match(r.for, GO_DURATION, `${where}: for`);
        for (const map of [r.labels, r.annotations]) {
          for (const [k, v] of Object.entries(map ?? {})) {
            assert.match(k, /^[a-zA-Z_][a-zA-Z0-9_]*$/, `${where}: label name ${k}`);
            assert.equal(typeof v, 'string', `${where}: ${k} is a string`);
          }
        }
      }
    }
  });

  test('promtool accepts the PrometheusRule groups', (t) => {
    if (!requireTool(t, 'promtool', ['--version'], 'Debian package prometheus')) return;
    const dir = mkdtempSync(join(tmpdir(), 'unit-ledger-rules-'));
    try {
      const file = join(dir, 'rules.json'); // JSON is YAML
      writeFileSync(file, JSON.stringify({ groups: only('PrometheusRule').spec.groups }));
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stdout + run.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kustomization.yaml lists every manifest but the Secret template, and builds', (t) => {
    const kustomization = parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'));
    assert.deepEqual([...kustomization.resources].sort(), MANIFEST_FILES.filter((f) => f !== 'secret.yaml'));
    if (!requireTool(t, 'kubectl', ['version', '--client'], 'Debian package kubernetes-client')) return;
    const built = parseAllDocuments(execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' })).map((d) => d.toJS());
    assert.deepEqual(built.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor']);
    // What kubectl apply -k sends is the manifests themselves, with the images: entries applied.
    const withImages = (object) => {
      const copy = structuredClone(object);
      for (const c of copy.spec?.template?.spec?.containers ?? []) {
        const [name, tag] = c.image.split(':');
        const rule = (kustomization.images ?? []).find((i) => i.name === name);
        if (rule) c.image = `${rule.newName ?? name}:${rule.newTag ?? tag}`;
      }
      return copy;
    };
    for (const object of built) {
      const source = documents.find(({ object: o }) => o.kind === object.kind && o.metadata.name === object.metadata.name);
      assert.ok(source, `kustomize produced ${object.kind}/${object.metadata.name}, which no manifest declares`);
      assert.deepEqual(object, withImages(source.object), `${object.kind}/${object.metadata.name} as built by kubectl kustomize`);
    }
  });

  test('kubectl kustomize rejects a broken kustomization (self-test of the build check)', (t) => {
    if (!requireTool(t, 'kubectl', ['version', '--client'], 'Debian package kubernetes-client')) return;
    const dir = mkdtempSync(join(tmpdir(), 'unit-ledger-kustomize-'));
    try {
      for (const name of readdirSync(DEPLOY).filter((n) => /\.ya?ml$/.test(n))) writeFileSync(join(dir, name), readFileSync(join(DEPLOY, name)));
      const kustomization = readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8');
      writeFileSync(join(dir, 'kustomization.yaml'), kustomization.replace('  - pdb.yaml\n', '  - pdb.yaml\n  - no-such-file.yaml\n'));
      const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      assert.notEqual(run.status, 0, 'kubectl kustomize accepted a resource that does not exist');
      assert.match(run.stderr, /no-such-file\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('promtool rejects a broken rule (self-test of the promtool check)', (t) => {
    if (!requireTool(t, 'promtool', ['--version'], 'Debian package prometheus')) return;
    const dir = mkdtempSync(join(tmpdir(), 'unit-ledger-rules-'));
    try {
      const file = join(dir, 'rules.json');
      const groups = structuredClone(only('PrometheusRule').spec.groups);
      groups[0].rules[0].expr = 'sum(rate(';
      writeFileSync(file, JSON.stringify({ groups }));
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.notEqual(run.status, 0, 'promtool accepted an unparsable expression');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// =============================================================================================

describe('the manifests match the application', () => {
  test('probes use the routes the service serves: liveness /health/live, readiness /health/ready', () => {
    const { excluded, served } = rootRoutes();
    const c = container();
    const probes = { startupProbe: '/health/live', livenessProbe: '/health/live', readinessProbe: '/health/ready' };
    for (const [probe, path] of Object.entries(probes)) {
      assert.ok(c[probe]?.httpGet, `${probe} is an HTTP probe`);
      assert.equal(c[probe].httpGet.path, path, probe);
      assert.ok(served.has(path), `${path} is a route of the health controller (serves ${[...served].join(', ')})`);
      assert.ok(excluded.includes(path), `${path} is outside the /api/v1 prefix (src/app.factory.ts)`);
      assert.equal(containerPortOf(c[probe].httpGet.port), containerPortOf('http'), `${probe} port`);
    }
    // Liveness must not depend on the database: the live handler checks nothing.
    const live = /@Get\('live'\)\s*\n\s*(\w+)\([^)]*\)[^{]*\{([\s\S]*?)\n {2}\}/.exec(read('src/health/health.controller.ts'));
    assert.ok(live, 'found the live handler');
    assert.doesNotMatch(live[2], /await|database|ping/i, '/health/live checks no dependency');
    // Readiness fails fast enough to leave the Service soon after SIGTERM (SHUTDOWN_GRACE_MS).
    const r = c.readinessProbe;
    const grace = Number(configMap().data.SHUTDOWN_GRACE_MS ?? 10000);
    assert.ok((r.periodSeconds ?? 10) * (r.failureThreshold ?? 3) * 1000 <= grace, 'readiness notices shutdown within SHUTDOWN_GRACE_MS');
  });

  test('one port everywhere: containerPort = ConfigMap PORT = Service targetPort = Dockerfile EXPOSE and PORT', () => {
    const port = containerPortOf('http');
    assert.equal(Number(configMap().data.PORT), port, 'ConfigMap PORT');
    const service = only('Service');
    assert.equal(service.spec.ports.length, 1);
    assert.equal(containerPortOf(service.spec.ports[0].targetPort), port, 'Service targetPort');
    const dockerfile = read('Dockerfile');
    assert.match(dockerfile, new RegExp(`^EXPOSE ${port}$`, 'm'), 'Dockerfile EXPOSE');
    assert.match(dockerfile, new RegExp(`\\bPORT=${port}\\b`), 'Dockerfile ENV PORT');
    const { served, excluded } = rootRoutes();
    const monitor = only('ServiceMonitor');
    for (const endpoint of monitor.spec.endpoints) {
      assert.ok(service.spec.ports.some((p) => p.name === endpoint.port), `ServiceMonitor port ${endpoint.port} is a Service port name`);
      assert.ok(served.has(endpoint.path) && excluded.includes(endpoint.path), `ServiceMonitor path ${endpoint.path} is served at the root`);
    }
  });

  test('selectors and names line up', () => {
    const d = deployment();
    const podLabels = d.spec.template.metadata.labels;
    assert.ok(subset(d.spec.selector.matchLabels, podLabels), 'Deployment selector matches its pods');
    assert.ok(subset(only('Service').spec.selector, podLabels), 'Service selects the pods');
    assert.ok(subset(only('PodDisruptionBudget').spec.selector.matchLabels, podLabels), 'PDB selects the pods');
    assert.ok(subset(only('ServiceMonitor').spec.selector.matchLabels, only('Service').metadata.labels), 'ServiceMonitor selects the Service');
    const envFrom = container().envFrom;
    assert.deepEqual(envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name), [configMap().metadata.name, secret().metadata.name]);
    assert.ok(envFrom.every((e) => !(e.configMapRef ?? e.secretRef).optional), 'ConfigMap and Secret are not optional');
    const credentials = only('ServiceMonitor').spec.endpoints[0].authorization?.credentials;
    if (credentials) {
      assert.equal(credentials.name, secret().metadata.name, 'ServiceMonitor reads the Secret');
      assert.ok(credentials.key in secretData(), `Secret has ${credentials.key}`);
    }
  });

  test('every variable in the ConfigMap and Secret is one the config schema accepts, and all of SPEC §8 is there', () => {
    const accepted = acceptedEnvNames();
    const fromConfigMap = Object.keys(configMap().data);
    const fromSecret = Object.keys(secretData());
    const inline = (container().env ?? []).map((e) => e.name);
    for (const name of [...fromConfigMap, ...fromSecret, ...inline]) {
      assert.ok(accepted.has(name), `${name} is not in the config schema, src/config/env.schema.ts (accepted: ${[...accepted].join(', ')})`);
    }
    assert.deepEqual(fromConfigMap.filter((n) => fromSecret.includes(n)), [], 'no variable in both');
    // DATA_DIR only serves the embedded database and the generated JWT key: not in a cluster.
    const missing = [...accepted].filter((n) => n !== 'DATA_DIR' && ![...fromConfigMap, ...fromSecret, ...inline].includes(n));
    assert.deepEqual(missing, [], 'every setting is in the ConfigMap or the Secret');
    const documented = readmeConfigurationNames();
    assert.deepEqual([...accepted].filter((n) => !documented.has(n)), [], "every setting is in README's configuration table");
    assert.deepEqual([...documented].filter((n) => !accepted.has(n)), [], "README's configuration table names no variable the schema does not read");
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN', 'REDIS_URL', 'BOOTSTRAP_ADMIN_PASSWORD']) {
      assert.ok(!fromConfigMap.includes(name), `${name} belongs in the Secret`);
    }
  });

  test('the production settings pass the service\'s own validation; the required secrets are provided', () => {
    const { loadConfig } = configFromSource();
    const data = configMap().data;
    assert.equal(data.NODE_ENV, 'production');
    // The Secret template's keys filled with realistic values.
    const filled = {
      ...secretData(),
      DATABASE_URL: 'postgres://unit_ledger:pw@postgres.database.svc:5432/unit_ledger',
      JWT_SECRET: 'x'.repeat(48),
      METRICS_TOKEN: 'metrics-token',
    };
    const config = loadConfig({ ...data, ...filled });
    assert.equal(config.nodeEnv, 'production');
    assert.equal(config.port, containerPortOf('http'));
    assert.ok(config.databaseUrl, 'DATABASE_URL is set: no embedded database in a pod');
    // Without the Secret the service refuses to start in production, naming JWT_SECRET...
    assert.throws(() => loadConfig(data), /JWT_SECRET is required/);
    // ...and with the template's placeholders too: a known key can never sign tokens.
    assert.throws(() => loadConfig({ ...data, ...secretData() }), /JWT_SECRET must be at least 32 bytes/);
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN']) assert.ok(name in secretData(), `Secret provides ${name}`);
    // Production defaults: /metrics needs the token (the Secret's), the API docs are off.
    assert.deepEqual([config.metricsToken, config.metricsPublic, config.apiDocs], ['metrics-token', false, false]);
    assert.throws(() => loadConfig({ ...data, ...filled, METRICS_TOKEN: '' }), /METRICS_TOKEN is required when NODE_ENV=production/);
  });

  test('shutdown: the grace period outlasts SHUTDOWN_GRACE_MS plus the drain of requests in flight', () => {
    const spec = podSpec();
    const grace = Number(configMap().data.SHUTDOWN_GRACE_MS ?? 10000);
    const drain = /drainLimitMs: ([\d_]+)/.exec(read('src/main.ts'))?.[1];
    assert.ok(drain, 'src/main.ts states its drain limit (drainLimitMs)');
    const drainMs = Number(drain.replaceAll('_', ''));
    const preStop = container().lifecycle?.preStop;
    const preStopMs = (preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.join(' ').match(/sleep (\d+)/)?.[1] ?? 0)) * 1000;
    assert.ok(spec.terminationGracePeriodSeconds * 1000 >= preStopMs + grace + drainMs,
      `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds}s < preStop ${preStopMs} ms + SHUTDOWN_GRACE_MS ${grace} ms + drain ${drainMs} ms`);
  });

  test('Prometheus rules: the PrometheusRule carries exactly ops/prometheus/rules.yml, for the Service\'s job', () => {
    assert.ok(existsSync(RULES_PATH), 'ops/prometheus/rules.yml exists');
    const rulesText = readFileSync(RULES_PATH, 'utf8');
    assert.deepEqual(only('PrometheusRule').spec.groups, prometheusRule(rulesText).spec.groups,
      'deploy/prometheus-rule.yaml differs from ops/prometheus/rules.yml: run node deploy/prometheus-rule.mjs');
    const jobs = new Set([...rulesText.matchAll(/\bjob="([^"]+)"/g)].map((m) => m[1]));
    assert.deepEqual([...jobs], [only('Service').metadata.name], 'the rules select job=<Service name> (the ServiceMonitor job label)');
    assert.equal(only('ServiceMonitor').spec.jobLabel, undefined, 'no jobLabel: job stays the Service name');
  });
});

// =============================================================================================

describe('production posture', () => {
  test('3 replicas, rolling update without loss of capacity, a disruption budget', () => {
    const d = deployment();
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
    const pdb = only('PodDisruptionBudget').spec;
    assert.ok(pdb.maxUnavailable === 1 || pdb.minAvailable === 2, 'PDB keeps two pods');
  });

  test('non-root, read-only root filesystem, no privilege, writable /tmp only', () => {
    const spec = podSpec();
    const c = container();
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.ok(spec.securityContext.runAsUser > 0);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.equal(spec.automountServiceAccountToken, false);
    const mounts = c.volumeMounts.map((m) => m.mountPath);
    assert.deepEqual(mounts, ['/tmp']);
    const tmp = spec.volumes.find((v) => v.name === c.volumeMounts[0].name);
    assert.ok(tmp.emptyDir, '/tmp is an emptyDir');
  });

  test('requests and limits for cpu and memory', () => {
    const { requests, limits } = container().resources;
    for (const r of ['cpu', 'memory']) {
      assert.ok(requests?.[r], `requests.${r}`);
      assert.ok(limits?.[r], `limits.${r}`);
    }
  });

  test('Dockerfile: multi-stage, production dependencies only, non-root, HEALTHCHECK on /health/live', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);
    assert.ok(stages.length >= 2, 'multi-stage');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(runtime, /^USER (?!root\b|0\b)\S+/m, 'runtime stage runs as a non-root user');
    assert.match(runtime, /^HEALTHCHECK [\s\S]*\/health\/live/m, 'HEALTHCHECK on /health/live');
    assert.match(runtime, /^CMD \["node", "dist\/main\.js"\]/m, 'exec form: node receives SIGTERM');
    assert.match(runtime, /NODE_ENV=production/);
    // Everything the build copies from the context is let through .dockerignore (an allowlist).
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    assert.ok(ignore.includes('*'), '.dockerignore starts from nothing');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1].split(/\s+/).filter((s) => !s.startsWith('--'))) {
        assert.ok(ignore.includes(`!${source}`) || ignore.includes(`!${source}/`), `.dockerignore lets ${source} through`);
      }
    }
  });
});
