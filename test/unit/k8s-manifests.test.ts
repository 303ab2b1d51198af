// deploy/k8s against the Kubernetes schemas, offline: kubernetes-models ships the API's OpenAPI schemas compiled to
// validators (types, required fields, enums), no network. Those schemas allow unknown fields (kubectl's strict
// field validation happens in the API server), so the checks below also hold the manifests to what the gateway
// needs and to the gateway's own flags, environment variables and metric names: a typo there fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_SCHEMA } from '../../server/src/config.ts';
import { PrometheusMetrics } from '../../server/src/http/prometheus.ts';

const DIR = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url));

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const manifests: { file: string; doc: Manifest }[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return { file, doc: d.toJS() as Manifest };
    }),
  );

const find = (kind: string, name: string): Manifest => {
  const m = manifests.find((x) => x.doc.kind === kind && x.doc.metadata.name === name);
  if (m === undefined) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return m.doc;
};

describe('deploy/k8s', () => {
  it('every manifest validates against its Kubernetes schema', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    for (const { file, doc } of manifests) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${file}: ${doc.apiVersion} ${doc.kind} has no schema here`).toBeDefined();
      expect(() => new Model!(doc as never).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`).not.toThrow();
    }
  });

  it('the schema check is not empty: a wrong type or a missing field fails', () => {
    const bad = structuredClone(find('Deployment', 'voxgate')) as unknown as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } }; selector?: unknown } };
    bad.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eighty';
    expect(() => new Deployment(bad as never).validate()).toThrow(/containerPort must be integer/);
    delete bad.spec.selector;
    expect(() => new Deployment(bad as never).validate()).toThrow(/selector/);
  });

  const gateway = find('Deployment', 'voxgate') as unknown as {
    spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } } };
  };
  type Container = {
    args: string[];
    env: { name: string }[];
    ports: { name: string }[];
    readinessProbe: { httpGet: { path: string } };
    livenessProbe: { httpGet: { path: string } };
    lifecycle: { preStop: { sleep?: { seconds: number } } };
    resources: { requests: { cpu: string; memory: string } };
  };
  const container = gateway.spec.template.spec.containers[0]!;
  const flag = (name: string): string | undefined => container.args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

  it('the gateway: readiness on /readyz, liveness on /healthz, a preStop wait, a grace period longer than the drain', () => {
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const preStopS = container.lifecycle.preStop.sleep?.seconds ?? 0;
    expect(preStopS).toBeGreaterThan(0);
    const drainS = Number(flag('shutdown-grace-ms')) / 1000;
    expect(gateway.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStopS + drainS);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.requests.memory).toBeDefined();
  });

  it("the gateway's flags and environment variables are voxgate serve's own", () => {
    const flags = new Set(Object.values(CONFIG_SCHEMA).map((s) => s.flag));
    const envs = new Set(Object.values(CONFIG_SCHEMA).map((s) => s.env));
    expect(container.args[0]).toBe('serve');
    for (const a of container.args.slice(1)) expect(flags, a).toContain(a.replace(/^--/, '').split('=')[0]);
    for (const e of container.env) expect(envs, e.name).toContain(e.name);
    expect(container.env.map((e) => e.name)).toContain('VOXGATE_REDIS_URL');
  });

  it('the Service targets the container port, and the autoscaler scales on a live-calls metric the gateway exports', () => {
    const service = find('Service', 'voxgate') as unknown as { spec: { ports: { targetPort: string }[] } };
    expect(container.ports.map((p) => p.name)).toContain(service.spec.ports[0]!.targetPort);
    const hpa = find('HorizontalPodAutoscaler', 'voxgate') as unknown as {
      spec: { scaleTargetRef: { name: string }; metrics: { pods: { metric: { name: string }; target: { averageValue: string } } }[] };
    };
    expect(hpa.spec.scaleTargetRef.name).toBe('voxgate');
    const metric = hpa.spec.metrics[0]!.pods;
    const exported = new PrometheusMetrics(() => undefined, { llmSequencesInUse: () => 0, vocoderQueueDepth: () => 0, llmBatches: () => null });
    expect(exported.registry.getSingleMetric(metric.metric.name)).toBeDefined();
    expect(Number(metric.target.averageValue)).toBeLessThan(Number(flag('max-sessions')));
  });
});
