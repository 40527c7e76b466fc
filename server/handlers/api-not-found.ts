import { notFound } from '../utils/errors'

/**
 * Any /api path no route serves: a JSON 404 with a sentence, as every API answer is, not the dashboard's sign-in page
 * (a GET of the upload route with an API key was a 302 to /login).
 */
export default defineEventHandler((event) => {
  throw notFound(`No API route answers ${event.method} ${getRequestURL(event).pathname}: `
    + 'the routes are listed at /api/_openapi.json (uploads are POST /api/v1/runs).', 'no_such_route')
})
