import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { loadConfig } from '../src/config.js'
import { SETTING_NAMES } from '../src/settings/schema.js'
import { tempDir } from './helpers.js'
import { waitFor } from './ingest/ingest-helpers.js'
import { DockerfileRunner, buildContext } from './dockerfile-runner.js'

const ALIASES = ['CORS_ENABLE', 'CORS_ORIGIN', 'DUCKDB_PATH']

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Builds the service (npm ci and tsc, or the compile before start): on a loaded machine that alone
// can take longer than the suite's per-file timeout.
t.setTimeout(900_000)

t.test('the Dockerfile, run step by step in a clean copy, builds a tree whose default command serves /healthz', async (t) => {
  const work = tempDir(t, 'tv-docker-')
  const context = join(work, 'context')
  const files = buildContext(process.cwd(), context)
  t.notOk(files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/') || f.startsWith('test/')), '.dockerignore keeps the context small')
  const runner = new DockerfileRunner(context, work)
  const runtime = runner.build(join(context, 'Dockerfile'), (line) => t.comment(line))

  t.same(runner.stages.map((s) => s.name), ['build', 'runtime'], 'multi-stage')
  t.match(runtime.from, /^node:24-bookworm-slim$/, 'the supported LTS, slim')
  const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node
  for (const stage of runner.stages) {
    t.equal(`^${/^node:(\d+)-/.exec(stage.from)?.[1]}`, engines, `${stage.name} runs the Node line package.json's engines name`)
  }
  t.equal(runtime.user, 'node', 'runs as the image\'s node user (UID/GID 1000), not root')
  t.same(runtime.volumes, ['/data'])
  t.same(runtime.expose, ['8080'])
  t.equal(runtime.env.DUCKDB, '/data/market.duckdb')
  t.same(runtime.healthcheck?.slice(0, 2), ['node', '-e'], 'the health check needs nothing beyond node')
  const app = runner.map(runtime, runtime.workdir)
  t.ok(existsSync(join(app, 'dist/src/server.js')), 'the build output was copied in')
  t.notOk(existsSync(join(app, 'node_modules/typescript')), 'production dependencies only')
  t.notOk(existsSync(join(app, 'node_modules/tap')))
  t.ok(existsSync(join(app, 'node_modules/@duckdb/node-api')))

  // `docker run -p PORT:PORT -v DATA:/data IMAGE`, with the Dockerfile's CMD and defaults (live
  // ingestion from Binance, unreachable here: the service must still come up and serve).
  const port = await freePort()
  const { LOG_LEVEL: _ignored, ...inherited } = process.env
  const env: NodeJS.ProcessEnv = { ...inherited, ...runtime.env, DUCKDB: runner.map(runtime, '/data/market.duckdb'), HOST: '127.0.0.1', PORT: String(port) }
  const child = spawn(runtime.cmd![0]!, runtime.cmd!.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let out = ''
  child.stdout.on('data', (d) => { out += String(d) })
  child.stderr.on('data', (d) => { out += String(d) })
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 30_000, `the service to listen: ${out}`)
  const health = spawnSync(runtime.healthcheck![0]!, runtime.healthcheck!.slice(1), { env, encoding: 'utf8', timeout: 10_000 })
  t.equal(health.status, 0, 'HEALTHCHECK passes')
  const version = await (await fetch(`http://127.0.0.1:${port}/version`)).json() as { name: string }
  t.equal(version.name, 'trading-viewer-api')
  const chartPage = await fetch(`http://127.0.0.1:${port}/`)
  t.equal(chartPage.status, 200, 'the chart page is in the image')
  t.match(await chartPage.text(), /\/chart\/chart\.js/)
  for (const asset of ['chart.js', 'chart.css', 'lightweight-charts.mjs']) {
    // Read to the end: an unread body keeps the connection busy and would hold up the shutdown below.
    const res = await fetch(`http://127.0.0.1:${port}/chart/${asset}`)
    t.ok(res.status === 200 && (await res.text()).length > 0, `the chart's ${asset} is in the image`)
  }
  t.ok(existsSync(runner.map(runtime, '/data/market.duckdb')), 'the database lives on the /data volume')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'stops cleanly on SIGTERM (docker stop)')

  const offline = spawn('node', ['dist/src/server.js', '--exchange', 'simulator'], { cwd: app, env, stdio: 'ignore' })
  t.teardown(() => { offline.kill('SIGKILL') })
  await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=3`).catch(() => undefined)
    return res?.ok === true && (await res.json() as { data: unknown[] }).data.length === 3
  }, 30_000, 'candles from the simulator in the built tree')
  offline.kill('SIGTERM')
})

t.test('compose.yaml and both env files parse and name only settings the service knows', async (t) => {
  interface Service {
    build?: string
    image: string
    profiles: string[]
    env_file?: string[]
    environment?: Record<string, string>
    volumes?: string[]
    healthcheck: { test: string[] }
    restart: string
    ports?: string[]
    depends_on?: Record<string, { condition: string }>
    deploy?: { replicas: number }
  }
  const compose = parseYaml(readFileSync('compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, Service>, volumes: Record<string, unknown> }
  t.same(Object.keys(compose.services).sort(), ['api', 'api-dev', 'api-replica', 'ingest-a', 'ingest-b', 'nginx', 'postgres', 'redis'])
  t.same(compose.services['api-dev']!.profiles, ['dev'])
  t.same(compose.services.api!.profiles, ['prod'])
  for (const [name, service] of Object.entries(compose.services)) {
    t.equal(service.restart, 'unless-stopped', `${name} restarts`)
    t.ok(service.healthcheck.test.length > 1, `${name} has a healthcheck`)
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!
      t.ok(source in compose.volumes || existsSync(source), `${name} mounts a named volume or a file of the repository (${source})`)
    }
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      t.ok(dependency in compose.services, `${name} depends on ${dependency}, a service`)
      t.equal(condition, 'service_healthy', `${name} waits until ${dependency} is healthy`)
    }
    for (const file of service.env_file ?? []) t.ok(existsSync(file), `${file} exists`)
    if (service.build === undefined) continue
    t.equal(service.build, '.', `${name} builds the Dockerfile`)
    t.match(service.healthcheck.test.join(' '), /\/healthz/, `${name} checks /healthz`)
    for (const key of Object.keys(service.environment ?? {})) t.ok(SETTING_NAMES.includes(key as never), `${name}: ${key} is a setting`)
    // Compose fills in ${VAR:-default} from the shell; the defaults stand in for it here.
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]))
    const config = loadConfig({ env, dotenvPath: service.env_file?.[0] ?? false })
    t.ok(config.PORT === 8080, `${name}'s settings load, on port 8080`)
  }
  for (const name of ['api', 'api-dev']) {
    const service = compose.services[name]!
    t.ok(service.ports!.some((p) => p.endsWith(':8080')), `${name} publishes 8080`)
    t.equal(service.volumes![0]!.split(':')[1], '/data', `${name} keeps the database on /data`)
  }
  // The scale profile: a shared store and bus, two ingest processes, api replicas behind nginx.
  const scale = Object.entries(compose.services).filter(([, s]) => s.profiles.includes('scale')).map(([n]) => n).sort()
  t.same(scale, ['api-replica', 'ingest-a', 'ingest-b', 'nginx', 'postgres', 'redis'])
  t.match(compose.services['ingest-a']!.environment, { ROLE: 'ingest', STORAGE: 'postgres', BUS: 'redis' })
  t.match(compose.services['ingest-b']!.environment, { ROLE: 'ingest', STORAGE: 'postgres', BUS: 'redis' })
  t.match(compose.services['api-replica']!.environment, { ROLE: 'api', STORAGE: 'postgres', BUS: 'redis' })
  t.equal(compose.services['api-replica']!.deploy!.replicas, 3)
  t.same(Object.keys(compose.services.nginx!.depends_on!), ['api-replica'])
  t.match(readFileSync('deploy/nginx.conf', 'utf8'), /proxy_set_header Upgrade \$http_upgrade/, 'nginx passes the WebSocket upgrade on')

  for (const file of ['.env.dev', '.env.prod']) {
    const vars = parseEnv(readFileSync(file, 'utf8'))
    const unknown = Object.keys(vars).filter((k) => !SETTING_NAMES.includes(k as never) && !ALIASES.includes(k))
    t.same(unknown, [], `${file} names only known settings`)
    for (const key of ['LOG_LEVEL', 'CORS_ENABLE', 'CORS_ORIGIN', 'PORT', 'HTTP_DEFAULT_LIMIT', 'HTTP_MAX_LIMIT']) {
      t.ok(key in vars, `${file} holds the original service's ${key}`)
    }
    const config = loadConfig({ env: {}, dotenvPath: file })
    t.ok(config.HTTP_CORS_ENABLE, `${file}: CORS on`)
    if (file === '.env.dev') {
      t.same(config.HTTP_CORS_ORIGIN, ['http://localhost:3000'])
      t.equal(config.LOG_LEVEL, 'debug')
    } else {
      t.same(config.HTTP_CORS_ORIGIN, ['https://www.tradingchart.ink'])
      t.ok(config.RATE_LIMIT_MAX > 0, 'rate limited in production')
    }
  }
})
