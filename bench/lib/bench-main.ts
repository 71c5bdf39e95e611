// The frame of every benchmark script: tag the logs, run, print the one JSON line, stop every
// child process, and exit non-zero (with the error on stderr) when anything failed.
import { emitResult, log, setLogTag, type BenchResult } from './log.js'
import { stopAll } from './processes.js'

export function runBenchmark (name: string, body: () => Promise<Omit<BenchResult, 'benchmark'>>): void {
  setLogTag(name)
  const started = performance.now()
  body().then(
    async (result) => {
      await stopAll()
      emitResult({ benchmark: name, figures: result.figures, details: { ...result.details, wall_s: Math.round((performance.now() - started) / 100) / 10 } })
      process.exit(0)
    },
    async (err: unknown) => {
      log(`FAILED: ${(err as Error).stack ?? String(err)}`)
      await stopAll(3000)
      process.exit(1)
    }
  )
}
