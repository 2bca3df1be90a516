import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { Secrets } from '../../src/secrets.js'

function registry(): { secrets: Secrets; masked: string[] } {
  const masked: string[] = []
  return { secrets: new Secrets((value) => masked.push(value)), masked }
}

describe('Secrets.add', () => {
  it('masks a value once, however often it is added, and returns it', () => {
    const { secrets, masked } = registry()
    expect(secrets.add('tok-123456')).toBe('tok-123456')
    expect(secrets.add('tok-123456')).toBe('tok-123456')
    expect(masked).toEqual(['tok-123456'])
  })

  it('masks the JSON-escaped form too when it differs', () => {
    const { secrets, masked } = registry()
    secrets.add('pa"ss\\word\n')
    expect(masked).toEqual(['pa"ss\\word\n', 'pa\\"ss\\\\word\\n'])
    expect(secrets.redact(JSON.stringify({ password: 'pa"ss\\word\n' }))).toBe('{"password":"***"}')
  })

  it('masks nothing extra for a value JSON leaves alone', () => {
    const { secrets, masked } = registry()
    secrets.add('plain-value')
    expect(masked).toEqual(['plain-value'])
  })

  it.each([undefined, '', 'a', 'ab'])('ignores %j (too short to mask without blanking ordinary text)', (value) => {
    const { secrets, masked } = registry()
    expect(secrets.add(value)).toBe(value)
    expect(masked).toEqual([])
    expect(secrets.redact('a b ab abc')).toBe('a b ab abc')
  })

  it('masks a value of three characters', () => {
    const { secrets, masked } = registry()
    secrets.add('xyz')
    expect(masked).toEqual(['xyz'])
    expect(secrets.redact('wxyz')).toBe('w***')
  })
})

describe('Secrets.redact', () => {
  it('replaces every occurrence of every secret', () => {
    const { secrets } = registry()
    secrets.add('alpha-secret')
    secrets.add('beta-secret')
    expect(secrets.redact('alpha-secret, beta-secret and alpha-secret again')).toBe('***, *** and *** again')
  })

  it('replaces the longest secret first, so no tail of an overlapping one is left', () => {
    const { secrets } = registry()
    // Added shortest first: a naive in-order replace would leave "***-extension".
    secrets.add('token')
    secrets.add('token-extension')
    expect(secrets.redact('Bearer token-extension / token')).toBe('Bearer *** / ***')
  })

  it('hides a Basic header value and its password half', () => {
    const { secrets } = registry()
    secrets.add('user:hunter22')
    secrets.add('hunter22')
    secrets.add(Buffer.from('user:hunter22').toString('base64'))
    expect(secrets.redact(`Authorization: Basic ${Buffer.from('user:hunter22').toString('base64')}; pw=hunter22`)).toBe('Authorization: Basic ***; pw=***')
  })

  it('treats regex characters in a secret literally', () => {
    const { secrets } = registry()
    secrets.add('a.b*c')
    expect(secrets.redact('a.b*c axbbc')).toBe('*** axbbc')
  })

  it('returns text without secrets unchanged', () => {
    const { secrets } = registry()
    secrets.add('not-here')
    expect(secrets.redact('nothing to hide')).toBe('nothing to hide')
  })
})

describe('a secret with characters JSON escapes', () => {
  it('is redacted as written and in its JSON form, and a near miss is left alone', () => {
    const { secrets } = registry()
    secrets.add('s3cr"et')
    expect(secrets.redact('x s3cr"et y')).toBe('x *** y')
    expect(secrets.redact(JSON.stringify({ token: 's3cr"et' }))).toBe('{"token":"***"}')
    expect(secrets.redact('s3cret')).toBe('s3cret')
  })
})

describe('a secret with an invisible character', () => {
  it('is redacted in the spelled-out form error messages give it, too', () => {
    const { secrets, masked } = registry()
    const token = 'tok\u200Ben-value'
    secrets.add(token)
    const error = new InputError('token', `the token '${token}' was refused`)
    expect(error.message).toBe("the token 'tok\\u{200B}en-value' was refused")
    expect(secrets.redact(error.message)).toBe("the token '***' was refused")
    expect(masked).toContain('tok\\u{200B}en-value')
  })
})
