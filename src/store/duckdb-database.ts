// One DuckDBInstance per file per process. DuckDB does not guard two instances on one file inside a
// process (they silently diverge), so every open goes through this registry and shares the instance.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'

export const MEMORY_PATH = ':memory:'

interface Entry {
  instance: DuckDBInstance
  refs: number
}

const open = new Map<string, Promise<Entry>>()

export interface DatabaseHandle {
  readonly path: string
  readonly instance: DuckDBInstance
  connect (): Promise<DuckDBConnection>
  /** Drops this handle; the instance closes when its last handle is released. */
  release (): void
}

export async function openDatabase (path: string, threads: number): Promise<DatabaseHandle> {
  const key = path === MEMORY_PATH ? `${MEMORY_PATH}#${Math.random()}` : resolve(path)
  let pending = open.get(key)
  if (pending === undefined) {
    pending = (async () => {
      if (path !== MEMORY_PATH) mkdirSync(dirname(key), { recursive: true })
      const instance = await DuckDBInstance.create(path === MEMORY_PATH ? MEMORY_PATH : key, { threads: String(threads) })
      return { instance, refs: 0 }
    })()
    open.set(key, pending)
    pending.catch(() => open.delete(key))
  }
  const entry = await pending
  entry.refs++
  let released = false
  return {
    path: key,
    instance: entry.instance,
    connect: () => entry.instance.connect(),
    release () {
      if (released) return
      released = true
      if (--entry.refs === 0) {
        open.delete(key)
        entry.instance.closeSync()
      }
    }
  }
}
