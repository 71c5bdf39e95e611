// The settings for running on several processes: which store and bus, their URLs, the role, and
// the combinations that cannot work, each refused in one line naming the settings.
import t from 'tap'
import { parseCommandLine } from '../../src/cli/argv.js'
import { EXIT } from '../../src/cli/command.js'
import { defaultConfig, loadConfig } from '../../src/config.js'
import { closedPort, runEntry } from '../cli-process.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

const load = (argv: string[], env: Record<string, string> = {}) =>
  loadConfig({ flags: parseCommandLine(argv).settings, env, dotenvPath: false })

const PG = 'postgres://tv:secret@127.0.0.1:5432/tv_api'
const REDIS = 'redis://127.0.0.1:6379'
const SHARED = { STORAGE: 'postgres', DATABASE_URL: PG, BUS: 'redis', REDIS_URL: REDIS }

t.test('defaults: one process, local bus, no URLs', async (t) => {
  const c = load([])
  t.equal(c.ROLE, 'all')
  t.equal(c.BUS, 'local')
  t.equal(c.REDIS_URL, '')
  t.equal(c.REDIS_PREFIX, 'tv-api:')
  t.equal(c.DATABASE_URL, '')
})

t.test('a split deployment: every role on PostgreSQL and Redis', async (t) => {
  for (const role of ['all', 'ingest', 'api'] as const) {
    const c = load([], { ...SHARED, ROLE: role.toUpperCase() })
    t.equal(c.ROLE, role)
    t.equal(c.STORAGE, 'postgres')
    t.equal(c.DATABASE_URL, PG)
    t.equal(c.BUS, 'redis')
    t.equal(c.REDIS_URL, REDIS)
  }
  t.equal(load(['--role', 'api', '--redis-prefix', 'prod:eu{1}:'], SHARED).REDIS_PREFIX, 'prod:eu{1}:')
  t.equal(load([], { ...SHARED, DATABASE_URL: 'postgresql://db.internal/tv', REDIS_URL: 'rediss://:pw@cache.internal:6380/2' }).REDIS_URL, 'rediss://:pw@cache.internal:6380/2')
  t.equal(load(['--storage', 'postgres'], { DATABASE_URL: PG }).STORAGE, 'postgres', 'PostgreSQL under the local bus is one process too')
  t.equal(load(['--bus', 'redis'], { REDIS_URL: REDIS }).BUS, 'redis', 'a Redis bus over a DuckDB file is allowed for ROLE=all')
})

t.test('an api process ignores LIVE: the live-symbol rules bind only a process that ingests', async (t) => {
  t.equal(load(['--role', 'api', '--live-symbols', ''], SHARED).ROLE, 'api')
  t.throws(() => load(['--role', 'ingest', '--live-symbols', ''], SHARED), { message: 'invalid value "" for LIVE_SYMBOLS: list at least one symbol when LIVE is on (or pass --live=0)' })
})

t.test('combinations that cannot work: one line naming the settings', async (t) => {
  const cases: Array<[string[], Record<string, string>, string]> = [
    [['--bus', 'redis'], {}, 'invalid value "" for REDIS_URL: set the Redis URL when BUS=redis, e.g. redis://127.0.0.1:6379'],
    [['--storage', 'postgres'], {}, 'invalid value "" for DATABASE_URL: set the PostgreSQL URL when STORAGE=postgres, e.g. postgres://user:password@127.0.0.1:5432/tv_api'],
    [['--role', 'api'], { BUS: 'redis', REDIS_URL: REDIS }, 'invalid value "api" for ROLE: ROLE=api runs beside other processes and needs a store they share, which STORAGE=duck is not; use STORAGE=postgres with DATABASE_URL (or ROLE=all)'],
    [['--role', 'ingest', '--storage', 'memory'], { BUS: 'redis', REDIS_URL: REDIS }, 'invalid value "ingest" for ROLE: ROLE=ingest runs beside other processes and needs a store they share, which STORAGE=memory is not; use STORAGE=postgres with DATABASE_URL (or ROLE=all)'],
    [['--role', 'api'], { STORAGE: 'postgres', DATABASE_URL: PG }, 'invalid value "api" for ROLE: ROLE=api runs beside other processes and needs a live bus they share, which BUS=local is not; use BUS=redis with REDIS_URL (or ROLE=all)'],
    [[], { ROLE: 'Ingest', STORAGE: 'postgres', DATABASE_URL: PG }, 'invalid value "Ingest" for ROLE: ROLE=ingest runs beside other processes and needs a live bus they share, which BUS=local is not; use BUS=redis with REDIS_URL (or ROLE=all)'],
    [['--role', 'worker'], {}, 'invalid value "worker" for --role (ROLE): must be one of: all, ingest, api'],
    [['--bus', 'kafka'], {}, 'invalid value "kafka" for --bus (BUS): must be one of: local, redis'],
    [['--storage', 'mysql'], {}, 'invalid value "mysql" for --storage (STORAGE): must be one of: duck, memory, postgres']
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => load(argv, env), { name: 'ConfigError', message }, [...argv, JSON.stringify(env)].join(' '))
  }
})

t.test('malformed URLs and prefixes are refused, passwords masked in the message', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ REDIS_URL: 'localhost:6379' }, 'invalid value "localhost:6379" for REDIS_URL: must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'invalid value "http://127.0.0.1:6379" for REDIS_URL: must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379'],
    [{ REDIS_URL: 'redis://:hunter2@cache:99999' }, 'invalid value "redis://:***@cache:99999" for REDIS_URL: must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379'],
    [{ DATABASE_URL: 'postgres://tv:hunter2@/tv_api' }, 'invalid value "postgres://tv:***@/tv_api" for DATABASE_URL: must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user:password@127.0.0.1:5432/tv_api'],
    [{ DATABASE_URL: 'mysql://db/tv' }, 'invalid value "mysql://db/tv" for DATABASE_URL: must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user:password@127.0.0.1:5432/tv_api'],
    [{ DATABASE_URL: 'postgres://db host/tv' }, 'invalid value "postgres://db host/tv" for DATABASE_URL: must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user:password@127.0.0.1:5432/tv_api'],
    [{ REDIS_PREFIX: 'tv api:' }, 'invalid value "tv api:" for REDIS_PREFIX: must be letters, digits and _ : . - { } only, e.g. tv-api:'],
    [{ REDIS_PREFIX: ' ' }, 'invalid value " " for REDIS_PREFIX: must not be empty']
  ]
  for (const [env, message] of cases) {
    t.throws(() => load([], env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  t.throws(() => defaultConfig({ REDIS_URL: 'nope' }), { message: /for REDIS_URL: must be a redis:\/\//, name: 'ConfigError' }, 'programmatic values obey the same rules')
})

t.test('the real entry point: a role on DuckDB exits 2 with the one line, nothing started', async (t) => {
  const r = await runEntry(['--role', 'api', '--bus', 'redis', '--redis-url', REDIS])
  t.equal(r.status, EXIT.USAGE)
  t.equal(r.stderr, 'tv-api: invalid value "api" for ROLE: ROLE=api runs beside other processes and needs a store they share, which STORAGE=duck is not; use STORAGE=postgres with DATABASE_URL (or ROLE=all)\n')
  t.equal(r.stdout, '')
})

t.test('the real entry point: PostgreSQL unreachable at start is one line, exit 4, the password masked', async (t) => {
  const port = await closedPort()
  const r = await runEntry(['--live', '0', '--host', '127.0.0.1', '--port', '0', '--storage', 'postgres', '--database-url', `postgres://tv:hunter2@127.0.0.1:${port}/tv_api`])
  t.equal(r.status, EXIT.STORAGE)
  t.equal(r.stderr, `tv-api: cannot open the PostgreSQL store at postgres://tv:***@127.0.0.1:${port}/tv_api: connect ECONNREFUSED 127.0.0.1:${port}; check that PostgreSQL runs, is reachable from here and accepts this user and database, or fix --database-url or DATABASE_URL\n`)
  t.notMatch(r.stdout, /listening/, 'nothing listened')
})

t.test('backup and restore with STORAGE=postgres point at pg_dump rather than run on the DuckDB file', async (t) => {
  for (const command of [['backup', '--out', 'backup-dir'], ['restore', '--from', 'backup-dir']]) {
    const r = await runEntry([...command, '--storage', 'postgres'], { env: { DATABASE_URL: PG } })
    t.equal(r.status, EXIT.USAGE, command[0])
    t.match(r.stderr, /^tv-api: invalid value "postgres" for STORAGE: this command works on a DuckDB file only; a PostgreSQL store is backed up with pg_dump, not tv-api backup: pg_dump --format=custom/, command[0])
  }
})

t.test('seed, export and backfill work on STORAGE=postgres as on DuckDB', { skip: postgresSkip() }, async (t) => {
  const url = await postgresDatabase(t)
  const env = { DATABASE_URL: url }
  const seeded = await runEntry(['seed', '--storage', 'postgres', '--database-url', url, '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-01'], { env })
  t.equal(seeded.status, 0, seeded.stderr)
  const exported = await runEntry(['export', '--storage', 'postgres', '--symbol', 'BTCUSDT', '--interval', '1h', '--out', '-'], { env })
  t.equal(exported.status, 0, exported.stderr)
  t.equal(exported.stdout.trim().split('\n').length, 1 + 24, 'a header and the day\'s 24 hours')
  const parquet = await runEntry(['export', '--storage', 'postgres', '--symbol', 'BTCUSDT', '--interval', '1h', '--format', 'parquet'], { env })
  t.equal(parquet.status, EXIT.USAGE)
  t.match(parquet.stderr, /Parquet export needs a DuckDB store/)
})
