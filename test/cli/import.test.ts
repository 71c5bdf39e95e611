// tv-api import tells what it did not store: a file of garbage or a misnamed file inside a folder
// fails the run (exit 6), other files in a folder are listed, and each error is printed once.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { EXIT } from '../../src/cli/command.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { tempDir } from '../helpers.js'
import { runEntry } from '../cli-process.js'

const JAN = Date.UTC(2024, 0, 1)

function goodCsv (): string {
  return minuteCandles('BTCUSDT', JAN, JAN + 3 * 60_000).map((c) =>
    [c.ts, c.open, c.high, c.low, c.close, c.volume, c.ts + 59_999, 0, 1, 0, 0, 0].join(',')).join('\n') + '\n'
}

t.test('a file of pure garbage stores nothing: exit 6, its line, one summary line on stderr', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'BTCUSDT-1m-2024-01.csv')
  writeFileSync(file, 'this is not,a kline\n\u0000\u0001garbage\n')
  const r = await runEntry(['import', file, '--duckdb', join(dir, 'x.duckdb')])
  t.equal(r.status, EXIT.IMPORT_INCOMPLETE)
  t.match(r.stdout, /\[1\/1\] .*BTCUSDT-1m-2024-01\.csv \(BTCUSDT 1m\): \d+ rows?, 0 stored, \d+ rejected/)
  t.equal(r.stderr, `tv-api: import incomplete: 1 of 1 file(s) failed or stored no candle (${file})\n`)
})

t.test('in a folder: a misnamed .csv is reported and fails the run, other files are listed, good files are stored', async (t) => {
  const dir = tempDir(t)
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(join(data, 'BTCUSDT-1m-2024-01-01.csv'), goodCsv())
  writeFileSync(join(data, 'prices.csv'), goodCsv())
  writeFileSync(join(data, 'BTCUSDT-1m-2024-01-01.zip.CHECKSUM'), 'abc  BTCUSDT-1m-2024-01-01.zip\n')
  const r = await runEntry(['import', data, '--duckdb', join(dir, 'x.duckdb')])
  t.equal(r.status, EXIT.IMPORT_INCOMPLETE)
  t.match(r.stdout, /^ignored 1 file\(s\) that are not \.csv or \.zip: .*BTCUSDT-1m-2024-01-01\.zip\.CHECKSUM$/m)
  t.match(r.stdout, /BTCUSDT-1m-2024-01-01\.csv \(BTCUSDT 1m\): 3 rows, 3 stored, 0 rejected/)
  const failed = r.stdout.split('\n').filter((l) => l.includes('prices.csv'))
  t.equal(failed.length, 1, 'the misnamed file has one line')
  t.match(failed[0], /prices\.csv \(\? \?\): FAILED: the file name does not say the symbol and interval/)
  t.equal(r.stderr, `tv-api: import incomplete: 1 of 2 file(s) failed or stored no candle (${join(data, 'prices.csv')})\n`, 'stderr: the summary only, not the error again as a log line')
})

t.test('a folder of good files exits 0', async (t) => {
  const dir = tempDir(t)
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(join(data, 'BTCUSDT-1m-2024-01-01.csv'), goodCsv())
  const r = await runEntry(['import', data, '--duckdb', join(dir, 'x.duckdb')])
  t.equal(r.status, EXIT.OK, r.stderr)
  t.equal(r.stderr, '')
  t.match(r.stdout, /import done: 1 file\(s\), 3 rows read, 3 stored, 0 rejected/)
})
