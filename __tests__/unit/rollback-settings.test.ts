/**
 * The inputs of `on-failure: rollback` (issue 16): their defaults, and each bad value or
 * combination refused with the input's name and what to do, before anything is sent.
 */
import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { parseSettings } from '../../src/settings.js'

const BASE: Record<string, string> = { provider: 'aieev', 'payload-file': 'deploy/aieev.json' }

function parse(overrides: Record<string, string>) {
  return parseSettings(
    (name) => ({ ...BASE, ...overrides })[name] ?? '',
    () => {},
    {},
  )
}

function inputError(overrides: Record<string, string>): InputError {
  try {
    parse(overrides)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error(`expected an InputError for ${JSON.stringify(overrides)}`)
}

describe('on-failure and the rollback inputs', () => {
  it("default to today's behaviour: report, no known-good payload, a 5 minute rollback budget", () => {
    expect(parse({})).toMatchObject({
      onFailure: 'report',
      rollbackPayloadFile: undefined,
      rollbackPayload: undefined,
      rollbackTimeoutMs: 300_000,
    })
  })

  it('reads rollback with a known-good payload file and its own time budget', () => {
    expect(
      parse({ 'on-failure': 'rollback', 'rollback-payload-file': 'deploy/previous.yaml', 'rollback-timeout': '90s' }),
    ).toMatchObject({ onFailure: 'rollback', rollbackPayloadFile: 'deploy/previous.yaml', rollbackTimeoutMs: 90_000 })
  })

  it.each(['Rollback', 'ROLLBACK'])("reads on-failure '%s' whatever its case, as 'pr-comment' is read", (value) => {
    expect(parse({ 'on-failure': value, 'rollback-payload-file': 'deploy/previous.json' }).onFailure).toBe('rollback')
  })

  it("reads on-failure 'Report' as report", () => {
    expect(parse({ 'on-failure': 'Report' }).onFailure).toBe('report')
  })

  it.each(['roll back', 'revert', 'true'])("refuses on-failure '%s', naming the two values", (value) => {
    const error = inputError({ 'on-failure': value })
    expect(error.input).toBe('on-failure')
    expect(error.message).toBe(`Invalid input 'on-failure': '${value}'. Expected report or rollback.`)
  })

  it('refuses both rollback-payload-file and rollback-payload', () => {
    const error = inputError({ 'on-failure': 'rollback', 'rollback-payload-file': 'a.json', 'rollback-payload': '{}' })
    expect(error.input).toBe('rollback-payload')
    expect(error.message).toContain('Set at most one')
  })

  it.each(['rollback-payload-file', 'rollback-payload'])(
    'refuses %s without on-failure: rollback (it would never be used)',
    (input) => {
      const error = inputError({ [input]: 'x.json' })
      expect(error.input).toBe(input)
      expect(error.message).toContain("Set 'on-failure: rollback'")
    },
  )

  it.each(['0s', '500ms', '7h', 'soon'])("refuses rollback-timeout '%s' with the accepted range", (value) => {
    const error = inputError({ 'on-failure': 'rollback', 'rollback-timeout': value })
    expect(error.input).toBe('rollback-timeout')
    expect(error.message).toContain("Invalid input 'rollback-timeout'")
  })
})
