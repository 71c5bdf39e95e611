import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseCommandLine } from '../src/cli/argv.js'
import { defaultConfig, loadConfig } from '../src/config.js'
import { ConfigError } from '../src/settings/parse-setting.js'
import { SETTING_NAMES } from '../src/settings/schema.js'
import { tempDir } from './helpers.js'

const load = (argv: string[], env: Record<string, string> = {}, dotenvPath: string | false = false) =>
  loadConfig({ flags: parseCommandLine(argv).settings, env, dotenvPath })

t.test('defaults are those of the original service, with LIVE on and DuckDB storage', async (t) => {
  const c = load([])
  t.equal(c.LIVE, true)
  t.equal(c.STORAGE, 'duck')
  t.equal(c.DUCKDB, 'data/market.duckdb')
  t.equal(c.EXCHANGE, 'binance')
  t.same(c.LIVE_SYMBOLS, ['BTCUSDT', 'ETHUSDT'])
  t.same(c.LIVE_INTERVALS, ['1m'])
  t.equal(c.PORT, 8080)
  t.equal(c.HOST, '0.0.0.0')
  t.equal(c.THREADS, 1)
  t.equal(c.HTTP_DEFAULT_LIMIT, 600)
  t.equal(c.HTTP_MAX_LIMIT, 5000)
  t.equal(c.HTTP_CORS_ENABLE, false)
  t.same(c.HTTP_CORS_ORIGIN, [])
  t.equal(c.WS_PING_PERIOD_MS, 30000)
  t.equal(c.WS_PONG_TIMEOUT_MS, 75000)
  t.equal(c.WS_SEND_QUEUE_MAX_MSGS, 500)
  t.equal(c.WS_SEND_QUEUE_MAX_BYTES, 15728640)
  t.equal(c.WS_STALL_TIMEOUT_MS, 20000)
  t.equal(c.WS_EMIT_PARTIALS, true)
  t.equal(c.WS_PARTIAL_THROTTLE_MS, 0)
  t.equal(c.LOG_LEVEL, 'info')
})

t.test('flag spellings all reach the same setting', async (t) => {
  t.equal(load(['--port', '9001']).PORT, 9001, '--key value')
  t.equal(load(['--port=9002']).PORT, 9002, '--key=value')
  t.equal(load(['--http.cors.enable=1', '--http.cors.origin', 'http://a.test']).HTTP_CORS_ENABLE, true, 'dotted')
  t.equal(load(['--http-cors-enable=yes', '--http-cors-origin=http://a.test']).HTTP_CORS_ENABLE, true, 'kebab')
  t.equal(load(['--live']).LIVE, true, 'a boolean alone is true')
  t.equal(load(['--live', 'off']).LIVE, false, 'a boolean takes a following boolean word')
  for (const [word, value] of [['1', true], ['0', false], ['true', true], ['FALSE', false], ['yes', true], ['no', false], ['on', true], ['off', false]] as const) {
    t.equal(load([`--ws-emit-partials=${word}`]).WS_EMIT_PARTIALS, value, word)
  }
  t.same(load(['--live-symbols', ' btcusdt, ethusdt ,,solusdt']).LIVE_SYMBOLS, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], 'lists are trimmed and upper-cased')
  t.equal(load(['--log-level', 'trace']).LOG_LEVEL, 'trace', 'trace is a valid level')
  t.equal(load(['--storage', 'memory']).STORAGE, 'memory')
})

t.test('precedence: defaults < .env < environment < flags', async (t) => {
  const dir = tempDir(t)
  const dotenv = join(dir, '.env')
  writeFileSync(dotenv, 'PORT=7001\nHTTP_DEFAULT_LIMIT=100\nLOG_LEVEL=debug\nCORS_ENABLE=1\nCORS_ORIGIN=http://localhost:3000\n')
  const fromFile = load([], {}, dotenv)
  t.equal(fromFile.PORT, 7001, '.env beats the default')
  t.equal(fromFile.HTTP_CORS_ENABLE, true, 'the original service .env names are aliases')
  t.same(fromFile.HTTP_CORS_ORIGIN, ['http://localhost:3000'])
  const fromEnv = load([], { PORT: '7002', HTTP_DEFAULT_LIMIT: '200' }, dotenv)
  t.equal(fromEnv.PORT, 7002, 'environment beats .env')
  t.equal(fromEnv.HTTP_DEFAULT_LIMIT, 200)
  t.equal(fromEnv.LOG_LEVEL, 'debug', '.env still fills what the environment leaves out')
  const fromFlags = load(['--port', '7003'], { PORT: '7002' }, dotenv)
  t.equal(fromFlags.PORT, 7003, 'flags beat the environment')
  t.equal(fromFlags.HTTP_DEFAULT_LIMIT, 100)
  t.equal(load([], { HTTP_CORS_ORIGIN: 'http://b.test', CORS_ORIGIN: 'http://c.test' }).HTTP_CORS_ORIGIN[0], 'http://b.test', 'the real name beats its alias')
  t.equal(load([], { UNRELATED: 'x' }).PORT, 8080, 'unrelated environment is ignored')
})

t.test('bad values are rejected with one line naming the setting and what is allowed', async (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--port', '70000'], {}, /--port \(PORT\): must be an integer from 0 to 65535/],
    [['--http-max-limit', 'abc'], {}, /--http-max-limit \(HTTP_MAX_LIMIT\): must be an integer/],
    [['--storage', 'legacy'], {}, /--storage \(STORAGE\): must be one of: duck, memory/],
    [['--port', '8080x'], {}, /must be an integer/],
    [['--live', '--ws-emit-partials=maybe'], {}, /WS_EMIT_PARTIALS.*1, 0, true, false/],
    [['--live-intervals', '1m,7m'], {}, /"7m" is not an interval; allowed: 1m/],
    [['--live-symbols', 'BTC-USDT'], {}, /not a symbol/],
    [['--http-cors-origin', 'localhost'], {}, /not an origin/],
    [['--live-lookback', '3 days'], {}, /LIVE_LOOKBACK.*duration/],
    [['--http-default-limit', '6000'], {}, /must not exceed HTTP_MAX_LIMIT/],
    [[], { PORT: 'eighty' }, /invalid value "eighty" for PORT: must be an integer/],
    [['--bogus', '1'], {}, /unknown option --bogus/],
    [['--port'], {}, /--port needs a value/]
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => load(argv, env), { name: 'ConfigError', message }, argv.join(' ') || JSON.stringify(env))
  }
  t.ok(new ConfigError('x') instanceof Error)
})

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], {
  encoding: 'utf8',
  timeout: 30_000,
  env: { ...process.env, PORT: '', LOG_LEVEL: '' }
})

t.test('the CLI exits 2 with one line on stderr and never listens', async (t) => {
  for (const args of [['--port', '70000'], ['--http-max-limit', 'abc'], ['--storage', 'legacy'], ['--nope']]) {
    const r = cli([...args, '--live=0'])
    t.equal(r.status, 2, args.join(' '))
    const lines = r.stderr.trim().split('\n')
    t.equal(lines.length, 1, 'one line')
    t.match(lines[0], /^tv-api: /)
    t.equal(r.stdout, '', 'nothing was started')
  }
})

t.test('serve --help lists every setting with its env name and default', async (t) => {
  const r = cli(['serve', '--help'])
  t.equal(r.status, 0)
  for (const name of SETTING_NAMES) t.match(r.stdout, new RegExp(`\\(env ${name}[,)]`), name)
  t.match(r.stdout, /--http-default-limit\s+\(env HTTP_DEFAULT_LIMIT\)\s+600\s/)
  const seedHelp = cli(['seed', '--help'])
  t.equal(seedHelp.status, 0)
  t.match(seedHelp.stdout, /--symbols/)
})

t.test('operational settings: proxies, rate limits, overload, retention', async (t) => {
  const c = load([])
  t.equal(c.TRUST_PROXY, false)
  t.equal(c.RATE_LIMIT_MAX, 0, 'rate limiting is off by default')
  t.equal(c.RATE_LIMIT_WINDOW_MS, 60_000)
  t.equal(c.MAX_EVENT_LOOP_DELAY_MS, 1000)
  t.equal(c.CHECKPOINT_INTERVAL_MS, 600_000)
  t.same(c.RETENTION_DAYS, {}, 'everything is kept by default')
  t.equal(c.LIVE_LOOKBACK, 86_400_000, 'LIVE_LOOKBACK (1d) in milliseconds')
  t.same(load(['--trust-proxy', '2', '--retention-days', '1m=90,1h=730']).RETENTION_DAYS, { '1m': 90, '1h': 730 })
  t.equal(load(['--trust-proxy', '2']).TRUST_PROXY, 2, 'a hop count')
  t.throws(() => load(['--trust-proxy', 'cloudflare']), { message: /TRUST_PROXY.*hop count/ })
  t.throws(() => load(['--retention-days', 'forever']), { message: /RETENTION_DAYS/ })
  t.throws(() => load(['--live', '--retention-days', '1m=1', '--live-lookback', '3d']), { message: /kept longer than LIVE_LOOKBACK/ })
  t.throws(() => load(['--live', '--retention-days', ' 2 ', '--live-lookback', ' 2d ']), { message: 'invalid value "2" for RETENTION_DAYS: 1m candles must be kept longer than LIVE_LOOKBACK (2d), or every catch-up would fetch them again' }, 'the message quotes the settings as written')
  t.same(load(['--live=0', '--retention-days', '1m=1']).RETENTION_DAYS, { '1m': 1 }, 'without live ingestion any window is fine')
})

t.test('values given in code (tests, tools) obey the same rules as text', async (t) => {
  const c = defaultConfig({ LIVE: false, PORT: 0, LIVE_SYMBOLS: ['btcusdt'], TRUST_PROXY: 'true', LIVE_LOOKBACK: '2h' })
  t.equal(c.PORT, 0)
  t.same(c.LIVE_SYMBOLS, ['BTCUSDT'], 'normalised like a flag')
  t.equal(c.TRUST_PROXY, true)
  t.equal(c.LIVE_LOOKBACK, 7_200_000)
  t.ok(Object.isFrozen(c), 'the configuration is read-only')
  t.throws(() => defaultConfig({ PORT: 70_000 }), { name: 'ConfigError', message: 'invalid value "70000" for PORT: must be an integer from 0 to 65535' })
  t.throws(() => defaultConfig({ HTTP_CORS_ENABLE: true }), { message: /list the allowed origins when HTTP_CORS_ENABLE is on/ })
  t.throws(() => defaultConfig({ LIVE_SYMBOLS: [] }), { message: 'invalid value "" for LIVE_SYMBOLS: list at least one symbol when LIVE is on (or pass --live=0)' })
})

t.test('a bad value in the .env file names the file', async (t) => {
  const dotenv = join(tempDir(t), '.env')
  writeFileSync(dotenv, 'PORT=eighty\n')
  t.throws(() => load([], {}, dotenv), { message: `invalid value "eighty" for PORT in ${dotenv}: must be an integer from 0 to 65535` })
  t.equal(load([], {}, join(dotenv, '..', 'missing.env')).PORT, 8080, 'a missing .env file is no error')
})
