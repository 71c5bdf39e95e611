// tv-api backfill as a user meets it: an exchange out of reach or a symbol it does not list is
// one line with exit code 5, and Ctrl-C stores what was fetched, says how much, and exits 130.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { EXIT } from '../../src/cli/command.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { tempDir } from '../helpers.js'
import { closedPort, runEntry, type CliRun } from '../cli-process.js'

function lastLine (r: CliRun): string {
  return r.stderr.trim().split('\n').at(-1) ?? ''
}

async function storedCount (t: Test, path: string, symbol: string): Promise<number> {
  const store = await DuckDbCandleStore.open({ path })
  t.teardown(() => store.close())
  return (await store.intervalRanges(symbol)).find((r) => r.interval === '1m')?.count ?? 0
}

t.test('the exchange out of reach: after the retries one line naming the host and the reason, suggesting --exchange simulator', async (t) => {
  const port = await closedPort()
  const db = join(tempDir(t), 'x.duckdb')
  const r = await runEntry(['backfill', '--symbols', 'BTCUSDT', '--binance-rest-url', `http://127.0.0.1:${port}`, '--duckdb', db, '--log-level', 'error'])
  t.equal(r.status, EXIT.EXCHANGE)
  t.equal(r.stderr, `tv-api: cannot reach the exchange at 127.0.0.1:${port} (ECONNREFUSED) after several attempts; check the network and BINANCE_REST_URL, or try it offline with --exchange simulator\n`, 'exactly one line')
  t.notMatch(r.stderr, /ExchangeUnavailableError|\n\s+at /, 'no error class, no stack')
})

t.test('a symbol the exchange does not list: -1121 from the simulator as from Binance, one line, nothing stored', async (t) => {
  const db = join(tempDir(t), 'x.duckdb')
  const r = await runEntry(['backfill', '--exchange', 'simulator', '--symbols', 'BTCUSDT,NOPEUSDT', '--from', '2024-01-01', '--to', '2024-01-01', '--duckdb', db, '--log-level', 'warn'])
  t.equal(r.status, EXIT.EXCHANGE)
  t.equal(lastLine(r), 'tv-api: the exchange does not list NOPEUSDT (Binance error -1121 Invalid symbol.); check --symbols')
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line')
  t.equal(await storedCount(t, db, 'BTCUSDT'), 0, 'nothing was fetched')
})

t.test('Ctrl-C during a backfill: what was fetched is stored, the count is told, exit 130', async (t) => {
  const db = join(tempDir(t), 'x.duckdb')
  let sent = false
  const r = await runEntry(['backfill', '--exchange', 'simulator', '--symbols', 'BTCUSDT', '--from', '2023-01-01', '--to', '2023-12-31', '--duckdb', db, '--log-level', 'warn'], {
    onStdout: (out, child) => {
      // The second progress line: some writes of 10,000 candles have surely happened by then.
      if (!sent && [...out.matchAll(/^backfill [\d.]+%/gm)].length >= 2) {
        sent = true
        child.kill('SIGINT')
      }
    }
  })
  t.ok(sent, 'interrupted while running')
  t.equal(r.status, EXIT.INTERRUPTED, r.stderr)
  const m = /^backfill interrupted: (\d+) candles stored in \S+; run the same command again to resume where it stopped$/m.exec(r.stdout)
  t.ok(m, r.stdout)
  const told = Number(m?.[1])
  t.ok(told > 0 && told < 365 * 1440, `part of the year: ${told}`)
  t.equal(await storedCount(t, db, 'BTCUSDT'), told, 'the count told is what the store holds')
  t.match(r.stderr, /stopping: storing what was fetched/)
  t.notMatch(r.stderr, /\n\s+at /, 'no stack')
})
