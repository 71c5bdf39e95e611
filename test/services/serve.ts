// Starts one throwaway PostgreSQL and one Redis for a whole test run (.ci/run), writes their URLs
// as shell assignments to the file named by the first argument once both answer, and stops both
// on SIGTERM or SIGINT: `node --import tsx test/services/serve.ts FILE &`.
import { renameSync, writeFileSync } from 'node:fs'
import { startPostgres, type PostgresServer } from './postgres.js'
import { startRedis, type RedisServer } from './redis.js'

const out = process.argv[2]
if (out === undefined) {
  console.error('usage: serve.ts ENV_FILE')
  process.exit(2)
}

const servers: Array<PostgresServer | RedisServer> = []
let stopping = false
async function stop (code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    await Promise.all(servers.map((s) => s.stop().catch((err: unknown) => console.error(err))))
  }
  process.exit(code)
}
process.on('SIGTERM', () => { void stop(0) })
process.on('SIGINT', () => { void stop(0) })

try {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  servers.push(postgres, redis)
  // Written aside and renamed, so a reader never sees half a file.
  writeFileSync(`${out}.partial`, `TEST_DATABASE_URL=${postgres.url}\nTEST_REDIS_URL=${redis.url}\n`)
  renameSync(`${out}.partial`, out)
  console.log(`test services: PostgreSQL at ${postgres.url}, Redis at ${redis.url}`)
} catch (err) {
  console.error(`could not start the test services: ${(err as Error).message}`)
  await stop(1)
}
// Held open by the servers' child processes until a signal arrives.
