/**
 * A UDF request the service cannot answer. UDF clients read `{s: "error", errmsg}` whatever the
 * HTTP status, so the status is for everyone else: 400 for a bad parameter, 404 for an unknown symbol (and 503 for
 * a history read stopped at the query timeout).
 */
export class UdfError extends Error {
  override name = 'UdfError'
  constructor (readonly status: 400 | 404, message: string) {
    super(message)
  }
}

export const udfBadRequest = (message: string) => new UdfError(400, message)
