// Locates the project's own files (package.json, migrations/) from any module, whether it runs from
// src/ under a TypeScript loader or from dist/src/ after a build.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

export function projectRoot (): string {
  if (root !== undefined) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return (root = dir)
    const parent = dirname(dir)
    if (parent === dir) throw new Error('project root (package.json beside migrations/) not found')
    dir = parent
  }
}

export interface PackageInfo {
  name: string
  version: string
}

export function packageInfo (): PackageInfo {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as PackageInfo
  return { name: pkg.name, version: pkg.version }
}
