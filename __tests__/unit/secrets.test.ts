import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { Secrets, couldBeCredential, formsOf } from '../../src/secrets.js'

function registry(): { secrets: Secrets; masked: string[] } {
  const masked: string[] = []
  return { secrets: new Secrets((value) => masked.push(value)), masked }
}

describe('Secrets.add', () => {
  it('masks a value once, however often it is added, and returns it', () => {
    const { secrets, masked } = registry()
    expect(secrets.add('tok-123456')).toBe('tok-123456')
    expect(secrets.add('tok-123456')).toBe('tok-123456')
    // issue 12: every spelling is registered (here the base64 pieces), each once.
    expect(masked).toEqual(formsOf('tok-123456'))
    expect(masked[0]).toBe('tok-123456')
    expect(new Set(masked).size).toBe(masked.length)
  })

  it('masks the JSON-escaped form too when it differs', () => {
    const { secrets, masked } = registry()
    secrets.add('pa"ss\\word\n')
    expect(masked.slice(0, 2)).toEqual(['pa"ss\\word\n', 'pa\\"ss\\\\word\\n'])
    expect(secrets.redact(JSON.stringify({ password: 'pa"ss\\word\n' }))).toBe('{"password":"***"}')
  })

  it('masks no other plain spelling for a value JSON and URLs leave alone, only its base64 pieces (issue 12)', () => {
    const { secrets, masked } = registry()
    secrets.add('plain-value')
    expect(masked).toEqual([
      'plain-value',
      'cGxhaW4tdmFsdWU=',
      'cGxhaW4tdmFsdWU',
      'cGxhaW4tdmFsdW',
      'bGFpbi12YWx1Z',
      'YWluLXZhbHVl',
    ])
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
    expect(secrets.redact(`Authorization: Basic ${Buffer.from('user:hunter22').toString('base64')}; pw=hunter22`)).toBe(
      'Authorization: Basic ***; pw=***',
    )
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

describe('encoded forms (issue 12)', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64')

  it('hides the URL-encoded and form-encoded password, in either hex case', () => {
    const { secrets } = registry()
    const password = 'p@ss w/rd+1&ok'
    secrets.add(password)
    for (const echo of [
      encodeURIComponent(password),
      encodeURIComponent(password).toLowerCase(),
      new URLSearchParams({ p: password }).toString().slice(2),
    ]) {
      expect(secrets.redact(`got ${echo}!`)).toBe('got ***!')
    }
  })

  it('hides base64 of user:password alone, and inside a longer base64 text at every byte alignment', () => {
    const { secrets } = registry()
    secrets.add('siteuser:s1te/pa$$+word')
    expect(secrets.redact(b64('siteuser:s1te/pa$$+word'))).toBe('***')
    for (const offset of [0, 1, 2]) {
      const text = b64(`${'k'.repeat(offset)}Authorization: siteuser:s1te/pa$$+word; tail`)
      const out = secrets.redact(text)
      expect(out).toContain('***')
      // At most the 2 characters on either side that mix secret and other bits remain.
      const inner = b64('siteuser:s1te/pa$$+word').slice(4, -4)
      expect(out).not.toContain(inner.slice(0, 8))
    }
  })

  it('registers the credential of an Authorization value on its own, and base64url forms', () => {
    const { secrets } = registry()
    secrets.add('Bearer tok_abcdef0123456789')
    expect(secrets.redact('token tok_abcdef0123456789 echoed')).toBe('token *** echoed')
    secrets.add('??>>??>>??>>') // base64 has '+' and '/' here
    const url = b64('??>>??>>??>>').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    expect(secrets.redact(`x ${url} y`)).toBe('x *** y')
  })

  it('masks no encoded form shorter than 6 characters', () => {
    const r = registry()
    r.secrets.add('abc')
    expect(r.masked.every((form) => form === 'abc' || form.length >= 6)).toBe(true)
    expect(r.secrets.redact('ordinary words like YWJj stay')).toBe('ordinary words like YWJj stay')
  })
})

// issue 13: a payload setting (an Aieev env var) goes to the runner's job-wide masking only when it could be a credential.
describe('couldBeCredential', () => {
  it.each([
    // The key's last word names a credential, whatever the value.
    ['DB_PASSWORD', 'hunter2'],
    ['API_TOKEN', 'abc'],
    ['apiToken', 'x1y2z3'],
    ['STRIPE_KEY', 'short'],
    ['AWS_SECRET_ACCESS_KEY', 'abc'],
    ['SENTRY_DSN', 'https://k@o1.ingest.example/1'],
    ['session-cookie', 'abc'],
    ['dbpassword', 'abc'],
    ['GITHUB_TOKENS', 'a,b'],
    ['SMTP_PASS', 'abc'],
    ['JWT', 'abc'],
    // The value looks like one: 16+ characters, letters and digits, no blank.
    ['BUILD_REF', 'a1b2c3d4e5f6a7b8c9d0'],
    ['ANYTHING', 'abc123def456ghi789'],
    [undefined, 'ghp_0123456789abcdefABCDEF'],
    // A URL or connection string that carries a password.
    ['DATABASE_URL', 'postgres://app:pw@db/app'],
    ['CONNECTION_STRING', 'Server=db;Database=app;User Id=app;Password=pw;'],
  ] as const)('%s=%s could be a credential', (key, value) => {
    expect(couldBeCredential(key, value)).toBe(true)
  })

  it.each([
    ['STAGE', 'prod'],
    ['LOG_LEVEL', 'debug'],
    ['TOKEN_TTL', '3600'],
    ['SESSION_TIMEOUT', '30'],
    ['PASSWORD_MIN_LENGTH', '12'],
    ['KEY_PREFIX', 'app'],
    ['AUTH_ENABLED', 'true'],
    ['MONKEY', 'banana'],
    ['REGION', 'cn-north-4'],
    ['GREETING', 'hello world 2024, have a nice day'],
    ['DATABASE_URL', 'postgres://db.internal/app'],
    ['NAME', 'nightly-report'],
    [undefined, 'prod'],
  ] as const)('%s=%s is not one', (key, value) => {
    expect(couldBeCredential(key, value)).toBe(false)
  })
})

describe('Secrets.addSetting', () => {
  it('registers a value that could be a credential with the runner, as add does', () => {
    const { secrets, masked } = registry()
    secrets.addSetting('API_TOKEN', 'abc123def456ghi789')
    expect(masked).toEqual(formsOf('abc123def456ghi789'))
    expect(secrets.redact('x abc123def456ghi789y')).toBe('x ***y')
  })

  it('never registers any other value with the runner, and redacts it only where it stands alone', () => {
    const { secrets, masked } = registry()
    secrets.addSetting('STAGE', 'prod')
    expect(masked).toEqual([])
    expect(secrets.redact("STAGE must not be 'prod'")).toBe("STAGE must not be '***'")
    expect(secrets.redact('{"key":"STAGE","value":"prod"}')).toBe('{"key":"STAGE","value":"***"}')
    expect(secrets.redact('prod, then prod.')).toBe('***, then ***.')
    // Inside a longer word or id it is not the value: left alone, so deploy-patch's own text stays readable.
    expect(secrets.redact('production-ep1 reproduce prod_2 ep-prod-1 prod2')).toBe(
      'production-ep1 reproduce prod_2 ep-prod-1 prod2',
    )
  })

  it('escapes a value full of regular-expression characters', () => {
    const { secrets } = registry()
    secrets.addSetting('PATTERN', 'a.b*(c)')
    expect(secrets.redact('x a.b*(c) y axb*(c)')).toBe('x *** y axb*(c)')
  })

  it('a value added both ways is masked and redacted everywhere', () => {
    const { secrets, masked } = registry()
    secrets.addSetting('STAGE', 'prod-token-x')
    secrets.add('prod-token-x')
    expect(masked[0]).toBe('prod-token-x')
    expect(secrets.redact('aprod-token-xb')).toBe('a***b')
  })

  it('ignores values under 3 characters', () => {
    const { secrets } = registry()
    secrets.addSetting('N', 'on')
    expect(secrets.redact('on and on')).toBe('on and on')
  })
})
