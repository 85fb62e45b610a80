/**
 * What an operator deploys: the Kubernetes manifests against Kubernetes' own schemas
 * (kubernetes-models), the choices they encode against the service's settings, the image tag
 * against the version, and deploy/nginx.conf against nginx itself (`nginx -t`, where nginx is
 * installed).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
import { EnvSchema } from '../src/config.js'
import { DEFAULT_RUNTIME } from '../src/runtime/options.js'
import { placeholders, renderNginxConf } from '../scripts/scale-out/nginx-template.js'
import { readRepositoryFile as read, repositoryPath } from './helpers/repository.js'

const KUBERNETES = 'deploy/kubernetes'
const { version } = JSON.parse(read('package.json')) as { version: string }

interface Manifest { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> }, spec?: any, [key: string]: unknown }

const kustomization = parse(read(`${KUBERNETES}/kustomization.yaml`)) as {
  namespace: string
  resources: string[]
  secretGenerator: Array<{ name: string, envs: string[] }>
  images: Array<{ name: string, newTag: string }>
}
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(read(`${KUBERNETES}/${file}`)).map((document) => document.toJS() as Manifest))
const byKind = (kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind)
  if (found.length !== 1) throw new Error(`${found.length} ${kind}s`)
  return found[0]
}

/** kubernetes-models' class for an apiVersion and kind: `apps/v1` → kubernetes-models/apps/v1. */
async function model (apiVersion: string, kind: string): Promise<new (data: unknown) => { validate: () => void }> {
  const module = await import(`kubernetes-models/${apiVersion}`) as Record<string, new (data: unknown) => { validate: () => void }>
  if (module[kind] === undefined) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`)
  return module[kind]
}

/** The Secret kustomize's secretGenerator makes from secrets.env (here: from the example's keys). */
function generatedSecret (): Manifest {
  const keys = read(`${KUBERNETES}/secrets.env.example`).split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.slice(0, line.indexOf('=')))
  const generator = kustomization.secretGenerator[0]
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: generator.name }, type: 'Opaque', stringData: Object.fromEntries(keys.map((key) => [key, 'x'.repeat(32)])) }
}

t.test('deploy/kubernetes: every manifest, and the generated Secret, validates against Kubernetes\' schemas', async (t) => {
  t.strictSame(manifests.map((manifest) => manifest.kind).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Namespace', 'PodDisruptionBudget', 'Service'])
  for (const manifest of [...manifests, generatedSecret()]) {
    const Model = await model(manifest.apiVersion, manifest.kind)
    t.doesNotThrow(() => new Model(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`)
  }
  const Model = await model('apps/v1', 'Deployment')
  const broken = structuredClone(byKind('Deployment'))
  broken.spec.template.spec.containers[0].readinessProbe.periodSeconds = 'often'
  t.throws(() => new Model(broken).validate(), /periodSeconds/, 'the schemas catch a wrong type')
})

t.test('the Deployment: probes, security, resources and shutdown as the service needs them', async (t) => {
  const deployment = byKind('Deployment')
  const pod = deployment.spec.template.spec
  const [container] = pod.containers
  const env = new Map<string, { value?: string, valueFrom?: { secretKeyRef: { name: string, key: string } } }>(container.env.map((entry: { name: string }) => [entry.name, entry]))
  const setting = (name: string): number => Number(env.get(name)?.value ?? DEFAULT_RUNTIME[({ WORKERS: 'workers', LONG_WORKERS: 'longWorkers', SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs' } as const)[name as 'WORKERS']])

  for (const name of env.keys()) t.ok(name in EnvSchema.properties, `${name} is a setting of the service (docs/limits.md)`)
  t.match(container.startupProbe, { httpGet: { path: '/health', port: 'http' } }, 'started: /health')
  t.match(container.livenessProbe, { httpGet: { path: '/health', port: 'http' } }, 'alive: /health')
  t.match(container.readinessProbe, { httpGet: { path: '/ready', port: 'http' } }, 'ready: /ready')
  t.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 30, 'at least 30 s to start')
  t.match(container.ports, [{ name: 'http', containerPort: Number(env.get('PORT')!.value) }], 'the port the service listens on')
  t.equal(env.get('HOST')!.value, '0.0.0.0')

  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } }, 'non-root (the image\'s user node, uid 1000)')
  t.match(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, 'no privilege escalation, read-only root filesystem')
  t.equal(pod.automountServiceAccountToken, false, 'no API token in the pod')

  const threads = 1 + setting('WORKERS') + setting('LONG_WORKERS')
  t.equal(Number(container.resources.limits.cpu), threads, `CPU limit: every thread at once (main + WORKERS + LONG_WORKERS = ${threads})`)
  t.equal(Number(container.resources.requests.cpu), 1, 'CPU request: the main thread, which saturates first and which the autoscaler measures')
  t.ok(container.resources.requests.memory !== undefined && container.resources.limits.memory !== undefined, 'memory requested and limited')

  const preStop = Number(container.lifecycle.preStop.exec.command[1])
  t.strictSame(container.lifecycle.preStop.exec.command, ['sleep', String(preStop)])
  t.ok(pod.terminationGracePeriodSeconds >= preStop + setting('SHUTDOWN_TIMEOUT_MS') / 1000 + 1,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} ≥ preStop ${preStop} s + SHUTDOWN_TIMEOUT_MS ${setting('SHUTDOWN_TIMEOUT_MS') / 1000} s + 1 s: no SIGKILL during a graceful shutdown`)
  t.match(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } }, 'an upgrade never stops an old replica before a new one is ready')
  t.notOk('replicas' in deployment.spec, 'the HorizontalPodAutoscaler owns the replica count')

  const generator = kustomization.secretGenerator[0]
  const secretKeys = Object.keys(generatedSecret().stringData as object)
  for (const name of ['GRADER_TOKEN', 'VARIANT_SECRET', 'METRICS_TOKEN']) {
    t.strictSame(env.get(name)?.valueFrom?.secretKeyRef, { name: generator.name, key: name }, `${name} from the generated Secret`)
    t.ok(secretKeys.includes(name), `secrets.env.example names ${name}`)
  }
  t.match(read('.gitignore'), `${KUBERNETES}/secrets.env`, 'the filled secrets never enter git')
})

t.test('Service, HPA, PDB and Ingress point at the Deployment\'s pods; the image carries the version', async (t) => {
  const labels = byKind('Deployment').spec.template.metadata.labels as Record<string, string>
  const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value)
  const service = byKind('Service')
  t.ok(selects(service.spec.selector), 'the Service selects the pods')
  t.equal(service.spec.ports[0].targetPort, 'http', 'on their named port')
  const hpa = byKind('HorizontalPodAutoscaler')
  t.match(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: byKind('Deployment').metadata.name })
  t.ok(hpa.spec.minReplicas >= 2, 'at least two replicas')
  const pdb = byKind('PodDisruptionBudget')
  t.ok(selects(pdb.spec.selector.matchLabels), 'the PDB covers the pods')
  t.ok(pdb.spec.maxUnavailable < hpa.spec.minReplicas, 'a drain leaves replicas serving')
  const ingress = byKind('Ingress')
  t.match(ingress.spec.rules[0].http.paths[0].backend.service, { name: service.metadata.name, port: { name: 'http' } })
  t.strictSame(ingress.spec.tls[0].hosts, [ingress.spec.rules[0].host], 'TLS for the host it serves')
  t.match(ingress.metadata.annotations, { 'nginx.ingress.kubernetes.io/proxy-next-upstream-timeout': '10' }, 'no retry of a computation that used its whole budget, as deploy/nginx.conf')
  t.equal(kustomization.namespace, byKind('Namespace').metadata.name)

  t.strictSame(kustomization.images, [{ name: 'dlcheck', newTag: version }], `the Kubernetes image is tagged ${version}`)
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { image: string, environment: Record<string, string> }> }
  t.equal(compose.services.dlcheck.image, `dlcheck:\${DLCHECK_VERSION:-${version}}`, `compose's image is tagged ${version} unless DLCHECK_VERSION says otherwise`)
})

t.test('deploy/nginx.conf: compose and the loopback proofs fill every placeholder', async (t) => {
  const template = read('deploy/nginx.conf')
  const names = placeholders(template)
  t.ok(names.includes('DLCHECK_LISTEN_TLS'), `${names.length} placeholders`)
  const compose = parse(read('docker-compose.yml')) as { services: { nginx: { environment: Record<string, string> } } }
  t.strictSame(Object.keys(compose.services.nginx.environment).filter((key) => key.startsWith('DLCHECK_')).sort(), [...names].sort(), 'compose sets each, and no other')
  const harness = read('scripts/scale-out/harness.ts')
  t.strictSame([...new Set([...harness.matchAll(/^\s+(DLCHECK_\w+):/gm)].map((match) => match[1]))].sort(), names.filter((name) => name !== 'DLCHECK_UPSTREAM').sort(), 'the proofs set each (the upstream by addresses)')
  t.throws(() => renderNginxConf(template, ['127.0.0.1:1'], {}), /no value for \$\{DLCHECK_/)
  // eslint-disable-next-line no-template-curly-in-string -- envsubst's syntax, not a template
  t.equal(renderNginxConf('server ${DLCHECK_UPSTREAM};\n# one line per DLCHECK_UPSTREAM\nlisten $DLCHECK_LISTEN;', ['a:1', 'b:2'], { DLCHECK_LISTEN: '80' }), 'server a:1;\nserver b:2;\n# one line per DLCHECK_UPSTREAM\nlisten 80;', 'one server line per address ($NAME or ${NAME}); a comment is not repeated')
})

const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => spawnSync(path, ['-v']).status === 0)
const openssl = spawnSync('openssl', ['version']).status === 0
const cannotCheck = nginx === undefined ? 'nginx is not installed (apt-get install nginx; .ci/run installs it)' : openssl ? false : 'openssl is missing'

t.test('nginx -t accepts deploy/nginx.conf rendered for loopback, with a certificate from deploy/tls/self-signed.sh', { skip: cannotCheck }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dlcheck-nginx-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const made = spawnSync('sh', [repositoryPath('deploy/tls/self-signed.sh'), join(dir, 'tls')], { encoding: 'utf8' })
  t.equal(made.status, 0, made.stderr)
  mkdirSync(join(dir, 'temp'))
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, renderNginxConf(read('deploy/nginx.conf'), ['127.0.0.1:3001', '127.0.0.1:3002'], {
    DLCHECK_LISTEN: '127.0.0.1:8080',
    DLCHECK_LISTEN_TLS: '127.0.0.1:8443',
    DLCHECK_HTTPS_PORT: '8443',
    DLCHECK_TLS_CERT: join(dir, 'tls', 'dlcheck.crt'),
    DLCHECK_TLS_KEY: join(dir, 'tls', 'dlcheck.key'),
    DLCHECK_RESOLVER: '127.0.0.1',
    DLCHECK_UPSTREAM_RESOLVE: '',
    DLCHECK_TEMP_DIR: join(dir, 'temp'),
    DLCHECK_ACCESS_LOG: join(dir, 'access.log')
  }))
  const checked = spawnSync(nginx!, ['-t', '-p', `${dir}/`, '-c', conf, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')} warn;`], { encoding: 'utf8' })
  t.equal(checked.status, 0, `nginx -t: ${checked.stderr.trim()}`)
  t.match(checked.stderr, 'test is successful')
})
