// The folder of a database file, checked and created before DuckDB is asked to open it, so a bad
// path fails with one sentence: Node's recursive mkdir reports a parent that is a file as a bare
// EEXIST, and on a file system that refuses new entries yet says ENOENT (such as /proc) it retries
// forever instead of returning.
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** The database cannot be used at its path; the message says why in one line. */
export class StorageError extends Error {
  override name = 'StorageError'
  /** What to do, when it is not "use another path". */
  constructor (message: string, readonly path: string, readonly hint?: string) {
    super(message)
  }
}

function errnoOf (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

function statOrUndefined (path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch (err) {
    const code = errnoOf(err)
    // ENOTDIR: an ancestor is a file; walking up finds and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    if (code === 'EACCES' || code === 'EPERM') throw new StorageError(`cannot reach ${path}: permission denied`, path)
    throw new StorageError(`cannot reach ${path}: ${(err as Error).message}`, path)
  }
}

function writable (dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Why mkdir failed, in words; `parent` exists and is a folder. */
function mkdirProblem (err: unknown, parent: string): string {
  switch (errnoOf(err)) {
    case 'EACCES':
    case 'EPERM': return `permission denied in ${parent}`
    case 'EROFS': return `${parent} is on a read-only file system`
    case 'ENOSPC': return `no space left in ${parent}`
    // The parent exists, so ENOENT means this file system takes no new folders (/proc, /sys).
    case 'ENOENT': return `${parent} does not accept new folders`
    default: return (err as Error).message
  }
}

/**
 * Makes sure the database file at `file` can be created or opened: its folder exists (created
 * one level at a time when missing) and is writable, and the path itself is not a folder.
 */
export function prepareDatabasePath (file: string): string {
  const path = resolve(file)
  const folder = dirname(path)
  const missing: string[] = []
  let existing = folder
  let stats = statOrUndefined(existing)
  while (stats === undefined) {
    missing.unshift(existing)
    const up = dirname(existing)
    if (up === existing) throw new StorageError(`cannot create the database folder ${folder}: no existing ancestor`, path)
    existing = up
    stats = statOrUndefined(existing)
  }
  if (!stats.isDirectory()) {
    throw new StorageError(`cannot create the database folder ${folder}: ${existing} is a file, not a folder`, path)
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir)
    } catch (err) {
      if (errnoOf(err) === 'EEXIST' && statOrUndefined(dir)?.isDirectory() === true) continue
      throw new StorageError(`cannot create the database folder ${folder}: ${mkdirProblem(err, dirname(dir))}`, path)
    }
  }
  if (!writable(folder)) throw new StorageError(`cannot use the database folder ${folder}: it is not writable`, path)
  if (statOrUndefined(path)?.isDirectory() === true) throw new StorageError(`cannot use ${path} as the database file: it is a folder`, path)
  return path
}
