/**
 * What an operator deploys: the compose stack's image tag against the version, and
 * deploy/nginx.conf against compose, the loopback proofs and nginx itself (`nginx -t`, where
 * nginx is installed).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { placeholders, renderNginxConf } from '../scripts/scale-out/nginx-template.js'
import { readRepositoryFile as read, repositoryPath } from './helpers/repository.js'

const { version } = JSON.parse(read('package.json')) as { version: string }

t.test('the compose image carries the version', async (t) => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { image: string }> }
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
