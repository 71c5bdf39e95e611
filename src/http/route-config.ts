// Route config for operational endpoints (health, readiness, metrics): probes and scrapers must
// get an answer even when a client is rate limited or the server is shedding load.
export const OPERATIONAL_ROUTE = {
  rateLimit: false as const,
  // @fastify/under-pressure: returning nothing lets the request through.
  pressureHandler: () => undefined
}
