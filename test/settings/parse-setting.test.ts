// One setting's text to its value: every kind of setting, the values it parses into, and the
// one-line error (naming the source) for each kind of bad text.
import t from 'tap'
import { ConfigError, parseRetention, parseSetting, parseTrustProxy } from '../../src/settings/parse-setting.js'

t.test('each kind of setting parses into its value', async (t) => {
  t.equal(parseSetting('LIVE', ' on '), true, 'booleans take the boolean words, trimmed')
  t.equal(parseSetting('PORT', '+8080'), 8080, 'integers')
  t.equal(parseSetting('STORAGE', 'MEMORY'), 'memory', 'enums are case-insensitive')
  t.same(parseSetting('LIVE_INTERVALS', '1m, 5m,1m,'), ['1m', '5m'], 'lists drop empties and repeats')
  t.same(parseSetting('HTTP_CORS_ORIGIN', 'https://a.test, https://*.b.test:8443'), ['https://a.test', 'https://*.b.test:8443'], 'origins and origin patterns')
  t.same(parseSetting('HTTP_CORS_ORIGIN', ''), [], 'an empty list')
  t.equal(parseSetting('DUCKDB', ' data/x.duckdb '), 'data/x.duckdb', 'plain text is trimmed')
  t.equal(parseSetting('LIVE_LOOKBACK', '90m'), 5_400_000, 'a duration in milliseconds')
  t.equal(parseSetting('TRUST_PROXY', 'yes'), true)
  t.same(parseSetting('RETENTION_DAYS', '1m=90'), { '1m': 90 })
  t.equal(parseSetting('BINANCE_REST_URL', 'http://127.0.0.1:9100/api'), 'http://127.0.0.1:9100/api')
  t.equal(parseSetting('DUCKDB_MEMORY_LIMIT', '1.5GiB'), '1.5GiB')
})

t.test('a bad value: one line with the value, where it came from and what is allowed', async (t) => {
  const cases: Array<[Parameters<typeof parseSetting>, string]> = [
    [['LIVE', 'maybe', { flag: '--live' }], 'invalid value "maybe" for --live (LIVE): must be one of 1, 0, true, false, yes, no, on, off'],
    [['PORT', '1.5', { file: '.env' }], 'invalid value "1.5" for PORT in .env: must be an integer from 0 to 65535'],
    [['THREADS', '0'], 'invalid value "0" for THREADS: must be an integer from 1 to 256'],
    [['LOG_LEVEL', 'loud'], 'invalid value "loud" for LOG_LEVEL: must be one of: trace, debug, info, warn, error, fatal'],
    [['LIVE_INTERVALS', '2d'], 'invalid value "2d" for LIVE_INTERVALS: "2d" is not an interval; allowed: 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 1w, 1M'],
    [['HOST', ' '], 'invalid value " " for HOST: must not be empty'],
    [['LIVE_LOOKBACK', '3 days'], 'invalid value "3 days" for LIVE_LOOKBACK: must be a duration such as 90m, 12h, 3d or 2w'],
    [['BINANCE_REST_URL', 'https://api.binance.com/'], 'invalid value "https://api.binance.com/" for BINANCE_REST_URL: must be an http(s) URL without a trailing slash'],
    [['BINANCE_WS_URL', 'https://x.test'], 'invalid value "https://x.test" for BINANCE_WS_URL: must be a ws(s) URL without a trailing slash'],
    [['DUCKDB_MEMORY_LIMIT', 'lots'], 'invalid value "lots" for DUCKDB_MEMORY_LIMIT: must be a size such as 192MB or 2GB'],
    [['TRUST_PROXY', 'cloudflare'], 'invalid value "cloudflare" for TRUST_PROXY: must be false, true, a hop count, or a comma list of IPs/CIDRs'],
    [['RETENTION_DAYS', '1m=0'], 'invalid value "1m=0" for RETENTION_DAYS: must be a number of days, or a list like 1m=90,1h=730']
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseSetting(...args), new ConfigError(message), args.slice(0, 2).join(' '))
  }
})

t.test('TRUST_PROXY: none, all, the nearest n hops, or addresses', async (t) => {
  t.equal(parseTrustProxy('false'), false)
  t.equal(parseTrustProxy('true'), true)
  t.equal(parseTrustProxy('1'), 1, 'a digit is a hop count, not a boolean word')
  t.equal(parseTrustProxy('2'), 2)
  t.equal(parseTrustProxy('0'), false)
  t.equal(parseTrustProxy(' '), false)
  t.same(parseTrustProxy('173.245.48.0/20, 10.0.0.1,::1'), ['173.245.48.0/20', '10.0.0.1', '::1'])
  t.equal(parseTrustProxy('cloudflare'), undefined)
})

t.test('RETENTION_DAYS: days per interval, * for all, empty or 0 for everything kept', async (t) => {
  t.same(parseRetention(''), {})
  t.same(parseRetention('0'), {})
  t.same(parseRetention('30'), { '*': 30 })
  t.same(parseRetention('1m=90, 1h=730'), { '1m': 90, '1h': 730 })
  t.equal(parseRetention('1m=0'), undefined)
  t.equal(parseRetention('7m=3'), undefined)
  t.equal(parseRetention('1m:3'), undefined)
})
