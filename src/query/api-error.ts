/** An error a client caused or can act on; routes turn it into `{error, message}` with `status`. */
export class ApiError extends Error {
  override name = 'ApiError'

  constructor (
    readonly status: 400 | 404 | 405 | 409 | 429 | 501 | 503,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message)
export const notFound = (code: string, message: string) => new ApiError(404, code, message)
