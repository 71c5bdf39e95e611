// /docs in a real browser, reached the way another machine reaches the service: plain HTTP and a
// host name that is not localhost (browsers exempt localhost from upgrading requests to https, so
// a policy that upgrades them looks fine on the developer's own machine only).
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { browserSkip, launchBrowser } from '../browser.js'
import { testApp } from '../helpers.js'

// A name Chromium resolves to the loopback test server (--host-resolver-rules), so no real network.
const HOST = 'tv-api.test'

t.test('/docs renders its operations over plain HTTP under a host name that is not localhost', { skip: browserSkip() }, async (t) => {
  const app = await testApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port

  const csp = (await app.inject('/docs')).headers['content-security-policy']
  t.match(csp, /script-src 'self'/, '/docs keeps a content policy of its own')
  t.notMatch(csp, /upgrade-insecure-requests/, 'the policy does not move the page\'s assets to https')

  const browser = await launchBrowser(t, [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])
  const page = await browser.newPage()
  const failed: string[] = []
  const violations: string[] = []
  page.on('requestfailed', (req) => failed.push(`${req.url()}: ${req.failure()?.errorText ?? ''}`))
  // Blocked scripts, styles, images or fetches; Swagger UI's one inline style attribute being
  // refused is harmless (the page does not depend on it) and is left to the library's policy.
  page.on('console', (msg) => { if (/^Refused to (load|connect|execute)/.test(msg.text())) violations.push(msg.text()) })

  const res = await page.goto(`http://${HOST}:${port}/docs`)
  t.equal(res?.status(), 200)
  // Swagger UI draws one block per operation once its scripts ran and /docs/json loaded.
  await page.locator('.opblock-summary-path', { hasText: '/api/v1/candles' }).first().waitFor({ timeout: 120_000 })
  const paths = await page.locator('.opblock-summary-path').allTextContents()
  for (const path of ['/api/v1/candles', '/api/v1/symbols', '/healthz', '/version']) {
    t.ok(paths.some((p) => p.trim() === path), `${path} is listed`)
  }
  t.same(failed, [], 'every asset loaded')
  t.same(violations, [], 'the content policy blocked nothing the page loads')
})
