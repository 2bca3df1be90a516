/**
 * withEnding: a layer that knows how a request ended says so on a copy of the error it caught,
 * never by changing that error (issue 14: no layer rewrites another layer's message).
 */
import { expect, it } from 'vitest'
import { ApiError, NetworkError, withEnding } from '../../src/errors.ts'

it('ends a copy of the sentence, keeping the class and every fact, and leaves the caught error as it was', () => {
  const caught = new ApiError({
    httpStatus: 503,
    errorType: 'http-503',
    message: 'Could not read: HTTP 503.',
    body: '',
  })
  caught.maybeApplied = true
  const ended = withEnding(caught, '(gave up after 2 retries)')
  expect(ended.message).toBe('Could not read: HTTP 503 (gave up after 2 retries).')
  expect(ended).toBeInstanceOf(ApiError)
  expect([ended.httpStatus, ended.errorType, ended.maybeApplied, ended.name]).toEqual([
    503,
    'http-503',
    true,
    'ApiError',
  ])
  expect(caught.message).toBe('Could not read: HTTP 503.')
})

it('adds the period a sentence without one lacks', () => {
  const caught = new NetworkError('the connection was refused (ECONNREFUSED)', { maybeApplied: false })
  expect(withEnding(caught, '(gave up after 1 retry)').message).toBe(
    'the connection was refused (ECONNREFUSED) (gave up after 1 retry).',
  )
})
