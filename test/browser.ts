// Headless Chromium for page tests: Debian's `chromium` (or CHROMIUM_PATH) driven by playwright-core.
// Without a browser the tests are reported as skipped with the command that enables them; CI installs
// one and fails on any skip.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import type { Teardown } from './helpers.js'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

export function chromiumPath (): string | undefined {
  return CANDIDATES.find((p): p is string => p !== undefined && p !== '' && existsSync(p))
}

/** `false` when a browser is available, else the reason to give tap's `skip` option. */
export function browserSkip (): string | false {
  return chromiumPath() === undefined
    ? 'no Chromium found: install it with `sudo apt-get install chromium` (or set CHROMIUM_PATH)'
    : false
}

/** `args` are extra Chromium switches, e.g. `--host-resolver-rules=MAP name 127.0.0.1`. */
export async function launchBrowser (t: Teardown, args: readonly string[] = []): Promise<Browser> {
  const executablePath = chromiumPath()
  if (executablePath === undefined) throw new Error(String(browserSkip()))
  // --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', ...args] })
  t.teardown(() => browser.close())
  return browser
}
