// Runs a Dockerfile's stages without a Docker engine: each stage gets its own root folder, COPY
// copies from a clean build context (the repository's files minus .dockerignore) or another stage,
// RUN runs the same shell commands there, and the last stage's CMD and HEALTHCHECK can be started.
// Absolute container paths (/app, /data) are mapped into the stage root. Only what a container
// adds on top is out of reach: file ownership (chown is a no-op) and the image's users.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface Instruction {
  op: string
  args: string
}

export interface Stage {
  name: string
  from: string
  root: string
  workdir: string
  env: Record<string, string>
  user?: string
  volumes: string[]
  expose: string[]
  cmd?: string[]
  healthcheck?: string[]
}

/** Instructions with line continuations joined and comments dropped. */
export function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (pending === '' && (line.trim().startsWith('#') || line.trim() === '')) continue
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' '
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    const m = /^(\w+)\s+(.*)$/s.exec(full)
    if (m !== null) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() })
  }
  return out
}

function parseEnvArgs (args: string): Record<string, string> {
  const out: Record<string, string> = {}
  const pairs = args.match(/(\w+)=("[^"]*"|\S+)/g)
  if (pairs === null) {
    const [k, ...v] = args.split(/\s+/)
    out[k!] = v.join(' ')
    return out
  }
  for (const p of pairs) {
    const i = p.indexOf('=')
    out[p.slice(0, i)] = p.slice(i + 1).replace(/^"|"$/g, '')
  }
  return out
}

function globToRegExp (pattern: string): RegExp {
  const body = pattern.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\uE000').replace(/\*/g, '[^/]*').replace(/\uE000/g, '.*').replace(/\?/g, '[^/]')
  return new RegExp(`^${body}(/.*)?$`)
}

/** The build context: files git knows (tracked or new, not ignored) minus .dockerignore. */
export function buildContext (repo: string, dest: string): string[] {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: repo, encoding: 'utf8' }).split('\n').filter((f) => f !== '')
  const ignore = existsSync(join(repo, '.dockerignore'))
    ? readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map(globToRegExp)
    : []
  const kept = files.filter((f) => existsSync(join(repo, f)) && !ignore.some((re) => re.test(f)))
  for (const f of kept) {
    mkdirSync(dirname(join(dest, f)), { recursive: true })
    cpSync(join(repo, f), join(dest, f))
  }
  return kept
}

export class DockerfileRunner {
  readonly stages: Stage[] = []
  private readonly shims: string

  constructor (private readonly context: string, private readonly work: string) {
    this.shims = join(work, 'shims')
    mkdirSync(this.shims, { recursive: true })
    // Ownership belongs to the container runtime; outside one, chown has no user to give files to.
    writeFileSync(join(this.shims, 'chown'), '#!/bin/sh\nexit 0\n')
    chmodSync(join(this.shims, 'chown'), 0o755)
  }

  /** A container path inside the stage root; relative paths are relative to the WORKDIR. */
  map (stage: Stage, path: string): string {
    return path.startsWith('/') ? join(stage.root, path) : join(stage.root, stage.workdir, path)
  }

  private mapCommand (stage: Stage, cmd: string): string {
    const mapped = new Set(['app', 'data', ...stage.volumes.map((v) => v.split('/')[1]!), stage.workdir.split('/')[1]!])
    return cmd.replace(/(^|[\s=])(\/([A-Za-z0-9_.-]+)[A-Za-z0-9_./-]*)/g, (whole, pre: string, path: string, first: string) =>
      mapped.has(first) ? `${pre}${join(stage.root, path)}` : whole)
  }

  build (dockerfile: string, log: (line: string) => void = () => {}): Stage {
    let stage: Stage | undefined
    for (const ins of parseDockerfile(readFileSync(dockerfile, 'utf8'))) {
      if (ins.op === 'FROM') {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!
        const name = m[2] ?? `stage${this.stages.length}`
        stage = { name, from: m[1]!, root: join(this.work, 'stages', name), workdir: '/', env: {}, volumes: [], expose: [] }
        mkdirSync(stage.root, { recursive: true })
        this.stages.push(stage)
        continue
      }
      if (stage === undefined) throw new Error(`${ins.op} before FROM`)
      switch (ins.op) {
        case 'WORKDIR':
          stage.workdir = ins.args
          mkdirSync(this.map(stage, '/' + ins.args.replace(/^\//, '')), { recursive: true })
          break
        case 'ENV':
          Object.assign(stage.env, parseEnvArgs(ins.args))
          break
        case 'COPY': {
          const words = ins.args.split(/\s+/)
          const from = words.find((w) => w.startsWith('--from='))?.slice(7)
          const paths = words.filter((w) => !w.startsWith('--'))
          const dest = paths.pop()!
          const source = from === undefined ? undefined : this.stages.find((s) => s.name === from)
          if (from !== undefined && source === undefined) throw new Error(`COPY --from=${from}: no such stage`)
          for (const src of paths) {
            const srcPath = source === undefined ? join(this.context, src) : this.map(source, src)
            if (!existsSync(srcPath)) throw new Error(`COPY ${src}: not in the ${source === undefined ? 'build context' : `stage ${from}`}`)
            const target = this.map(stage, dest)
            const into = dest.endsWith('/') || (paths.length > 1) ? join(target, src.split('/').pop()!) : target
            mkdirSync(dirname(into), { recursive: true })
            cpSync(srcPath, statSync(srcPath).isDirectory() ? into : into, { recursive: true })
          }
          break
        }
        case 'RUN': {
          // BuildKit --mount options (cache mounts) change nothing about what the command does.
          const cmd = this.mapCommand(stage, ins.args.replace(/^(--mount=\S+\s+)+/, ''))
          log(`[${stage.name}] RUN ${ins.args}`)
          const r = spawnSync('sh', ['-c', cmd], {
            cwd: this.map(stage, stage.workdir),
            env: { ...process.env, ...stage.env, PATH: `${this.shims}:${process.env.PATH ?? ''}` },
            encoding: 'utf8',
            timeout: 600_000
          })
          if (r.status !== 0) throw new Error(`RUN ${ins.args} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
          break
        }
        case 'USER':
          stage.user = ins.args
          break
        case 'VOLUME':
          stage.volumes.push(...(ins.args.startsWith('[') ? JSON.parse(ins.args) as string[] : ins.args.split(/\s+/)))
          break
        case 'EXPOSE':
          stage.expose.push(...ins.args.split(/\s+/))
          break
        case 'CMD':
          stage.cmd = JSON.parse(ins.args) as string[]
          break
        case 'HEALTHCHECK': {
          const m = /\bCMD\s+(\[.*\])$/s.exec(ins.args)
          if (m === null) throw new Error('HEALTHCHECK needs an exec-form CMD')
          stage.healthcheck = JSON.parse(m[1]!) as string[]
          break
        }
        default:
          throw new Error(`unsupported instruction ${ins.op}`)
      }
    }
    if (stage === undefined) throw new Error('no FROM')
    return stage
  }
}
