import { describe, expect, it } from 'vitest'
import { InputError, visible } from '../../src/errors.js'
import { formatMs } from '../../src/format.js'
import { parseSettings, type Settings } from '../../src/settings.js'
import { isLoopbackHost } from '../../src/url.js'

/** The least a run needs: a provider and a payload. */
const BASE: Record<string, string> = { provider: 'qoder', 'payload-file': 'deploy/payload.json' }

/** A fake `core.getInput`: a name → value map, '' for anything unset (as the runner does). */
function reader(values: Record<string, string>): (name: string) => string {
  return (name) => values[name] ?? ''
}

function parse(
  overrides: Record<string, string> = {},
  env: NodeJS.ProcessEnv = {},
): { settings: Settings; secrets: string[] } {
  const secrets: string[] = []
  const settings = parseSettings(reader({ ...BASE, ...overrides }), (value) => secrets.push(value), env)
  return { settings, secrets }
}

/** The InputError thrown for these inputs (fails the test if none is thrown). */
function inputError(overrides: Record<string, string>, secrets: string[] = []): InputError {
  try {
    parseSettings(reader({ ...BASE, ...overrides }), (value) => secrets.push(value), {})
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error(`expected an InputError for ${JSON.stringify(overrides)}`)
}

describe('defaults', () => {
  it('fills every optional input with the documented default', () => {
    const { settings } = parse({}, { GITHUB_WORKSPACE: '/ws', RUNNER_TEMP: '/rt' })
    expect(settings).toMatchObject({
      provider: 'qoder',
      payloadFile: 'deploy/payload.json',
      payloadInline: undefined,
      targets: [],
      region: 'global',
      restart: true,
      wait: true,
      timeoutMs: 600_000,
      pollIntervalMs: 1_000,
      maxRetries: 5,
      dryRun: false,
      substituteEnv: false,
      summary: true,
      prComment: 'auto',
      concurrency: 4,
      workspace: '/ws',
      runnerTemp: '/rt',
    })
    expect(settings.baseUrl).toBeUndefined()
    expect(settings.authUrl).toBeUndefined()
    expect(settings.githubEnvironment).toBeUndefined()
    expect(settings.githubToken).toBeUndefined()
  })

  it('takes the runner temp directory from TMPDIR when RUNNER_TEMP is unset', () => {
    expect(parse({}, { TMPDIR: '/var/tmp/x' }).settings.runnerTemp).toBe('/var/tmp/x')
  })
})

describe('durations (timeout, poll-interval)', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1m500ms', 60_500],
    ['45', 45_000],
    ['2.5', 2_500],
    ['1.5m', 90_000],
    ['90S', 90_000],
    [' 2m ', 120_000],
  ])("timeout '%s' is %i ms", (text, ms) => {
    expect(parse({ timeout: text }).settings.timeoutMs).toBe(ms)
  })

  it.each([
    ['500ms', 500],
    ['250ms', 250],
    ['2s', 2_000],
    ['0.5', 500],
    ['1.25s', 1_250],
  ])("poll-interval '%s' is %i ms", (text, ms) => {
    expect(parse({ 'poll-interval': text }).settings.pollIntervalMs).toBe(ms)
  })

  it.each(['10 minutes', 'abc', '1d', '-5s', '1h-30m', 'm5', '1.s', '.5s', 's', '5 s', '1e3', '0x10'])(
    "refuses timeout '%s', naming the input and the accepted forms",
    (text) => {
      const error = inputError({ timeout: text })
      expect(error.input).toBe('timeout')
      expect(error.message).toContain("'timeout'")
      expect(error.message).toContain(`'${text}'`)
      expect(error.message).toMatch(/'90s'.*'15m'.*'1h'/)
      expect(error.message).toContain('number of seconds')
    },
  )

  it.each([
    ['0', 'timeout'],
    ['500ms', 'timeout'],
    ['7h', 'timeout'],
    ['6h1s', 'timeout'],
  ])("refuses timeout '%s' as out of range, stating the range", (text, input) => {
    const error = inputError({ [input]: text })
    expect(error.input).toBe(input)
    expect(error.message).toContain(`'${text}'`)
    expect(error.message).toContain('from 1s to 6h')
  })

  it('accepts the exact bounds of timeout', () => {
    expect(parse({ timeout: '1s' }).settings.timeoutMs).toBe(1_000)
    expect(parse({ timeout: '6h' }).settings.timeoutMs).toBe(21_600_000)
  })

  it.each(['50ms', '0', '6m', '5m1s'])("refuses poll-interval '%s' as out of range", (text) => {
    const error = inputError({ 'poll-interval': text })
    expect(error.input).toBe('poll-interval')
    expect(error.message).toContain("'poll-interval'")
    expect(error.message).toContain('from 100ms to 5m')
  })

  it('refuses a malformed poll-interval naming poll-interval, not timeout', () => {
    const error = inputError({ 'poll-interval': 'fast' })
    expect(error.input).toBe('poll-interval')
    expect(error.message).toContain("Invalid input 'poll-interval': 'fast'")
  })
})

describe('formatMs', () => {
  it.each([
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [90_000, '90s'],
    [600_000, '10m'],
    [5_400_000, '90m'],
    [3_600_000, '1h'],
  ])('%i ms reads as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text)
  })
})

describe('booleans', () => {
  const BOOLEAN_INPUTS = [
    ['restart', 'restart'],
    ['wait', 'wait'],
    ['dry-run', 'dryRun'],
    ['substitute-env', 'substituteEnv'],
    ['summary', 'summary'],
  ] as const

  it.each(BOOLEAN_INPUTS)("'%s' accepts true, True and TRUE", (input, field) => {
    for (const text of ['true', 'True', 'TRUE']) expect(parse({ [input]: text }).settings[field]).toBe(true)
  })

  it.each(BOOLEAN_INPUTS)("'%s' accepts false, False and FALSE", (input, field) => {
    for (const text of ['false', 'False', 'FALSE']) expect(parse({ [input]: text }).settings[field]).toBe(false)
  })

  it.each(
    BOOLEAN_INPUTS.flatMap(([input]) =>
      ['yes', 'no', '1', '0', 'tRUE', 'on', 'false '].map((text) => [input, text] as const),
    ),
  )("'%s' refuses '%s' instead of silently using the default", (input, text) => {
    const error = inputError({ [input]: text })
    expect(error.input).toBe(input)
    expect(error.message).toBe(`Invalid input '${input}': '${text}'. Expected true or false.`)
  })
})

describe('integers', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['20', 20],
  ])("max-retries '%s' is %i", (text, value) => {
    expect(parse({ 'max-retries': text }).settings.maxRetries).toBe(value)
  })

  it.each(['21', '-1', '1.5', 'five', '3 ', '1e1', '+3', '100000000000000000000'])(
    "max-retries '%s' is refused with the range",
    (text) => {
      const error = inputError({ 'max-retries': text })
      expect(error.input).toBe('max-retries')
      expect(error.message).toBe(`Invalid input 'max-retries': '${text}'. Expected a whole number from 0 to 20.`)
    },
  )

  it.each([
    ['1', 1],
    ['32', 32],
    ['8', 8],
  ])("concurrency '%s' is %i", (text, value) => {
    expect(parse({ concurrency: text }).settings.concurrency).toBe(value)
  })

  it.each(['0', '33', '-4', 'all', '2.0'])("concurrency '%s' is refused with the range", (text) => {
    const error = inputError({ concurrency: text })
    expect(error.input).toBe('concurrency')
    expect(error.message).toContain('from 1 to 32')
    expect(error.message).toContain(`'${text}'`)
  })
})

describe('provider', () => {
  it.each(['qoder', 'kintone', 'huaweicloud-rts', 'aieev'])("accepts '%s'", (name) => {
    expect(parse({ provider: name }).settings.provider).toBe(name)
  })

  it('is case-insensitive', () => {
    expect(parse({ provider: 'Kintone' }).settings.provider).toBe('kintone')
  })

  it('is required, and the error lists the providers', () => {
    const error = inputError({ provider: '' })
    expect(error.input).toBe('provider')
    expect(error.message).toContain("Input 'provider' is required")
    expect(error.message).toContain('qoder, kintone, huaweicloud-rts, aieev')
  })

  it('refuses an unknown provider, quoting it', () => {
    const error = inputError({ provider: 'heroku' })
    expect(error.input).toBe('provider')
    expect(error.message).toContain("'heroku'")
    expect(error.message).toContain('qoder, kintone, huaweicloud-rts, aieev')
  })
})

describe('payload-file / payload', () => {
  it('accepts an inline payload alone', () => {
    const { settings } = parse({ 'payload-file': '', payload: '{"name":"x"}' })
    expect(settings.payloadInline).toBe('{"name":"x"}')
    expect(settings.payloadFile).toBeUndefined()
  })

  it('refuses both at once, naming both inputs', () => {
    const error = inputError({ payload: '{}' })
    expect(error.input).toBe('payload')
    expect(error.message).toContain("'payload-file'")
    expect(error.message).toContain("'payload'")
    expect(error.message).toContain('exactly one')
  })

  it('lets kintone deploy with app ids alone: no payload means an empty one', () => {
    const { settings } = parse({ provider: 'kintone', 'payload-file': '', target: '12,13' })
    expect(settings.payloadInline).toBe('{}')
    expect(settings.payloadFile).toBeUndefined()
    expect(settings.targets).toEqual(['12', '13'])
  })

  it('refuses neither, naming both inputs', () => {
    const error = inputError({ 'payload-file': '' })
    expect(error.input).toBe('payload-file')
    expect(error.message).toContain("'payload-file'")
    expect(error.message).toContain("'payload'")
  })
})

describe('target', () => {
  it('splits on commas and newlines, trims, and drops blanks', () => {
    expect(parse({ target: ' dep_a, dep_b ,\n dep_c\n\n,, \r\ndep_d\r\n' }).settings.targets).toEqual([
      'dep_a',
      'dep_b',
      'dep_c',
      'dep_d',
    ])
  })

  it('is a one-element list for a single id', () => {
    expect(parse({ target: 'dep_01HXYZ' }).settings.targets).toEqual(['dep_01HXYZ'])
  })

  it('refuses an id listed twice, naming it', () => {
    const error = inputError({ target: 'dep_a,dep_b\ndep_a' })
    expect(error.input).toBe('target')
    expect(error.message).toContain("'dep_a' is listed twice")
  })

  it('counts ids that differ only by surrounding spaces as duplicates', () => {
    expect(inputError({ target: 'dep_a, dep_a ' }).message).toContain("'dep_a' is listed twice")
  })

  it.each(['dep\ta', 'dep\u0000a', 'dep\u001ba', 'dep\u007fa', 'dep\ra'])(
    'refuses an id with a control character (%j)',
    (target) => {
      const error = inputError({ target })
      expect(error.input).toBe('target')
      expect(error.message).toContain('control character')
      // The id is quoted with its control character spelled out, never raw.
      expect(error.message).toContain(visible(JSON.stringify(target)))
      expect([...error.message].filter((c) => c < ' ' || c === '\u007f')).toEqual([])
    },
  )
})

describe('base-url and auth-url', () => {
  const URL_INPUTS = [
    ['base-url', 'baseUrl'],
    ['auth-url', 'authUrl'],
  ] as const

  it.each(URL_INPUTS)('%s accepts https and keeps a path prefix without its trailing slash', (input, field) => {
    const url = parse({ [input]: 'https://example.cybozu.com/api/v1/' }).settings[field]
    expect(url?.href).toBe('https://example.cybozu.com/api/v1')
  })

  it.each(URL_INPUTS)('%s removes several trailing slashes', (input, field) => {
    expect(parse({ [input]: 'https://example.com/prefix///' }).settings[field]?.href).toBe('https://example.com/prefix')
  })

  it.each(URL_INPUTS)('%s keeps an origin with its port', (input, field) => {
    expect(parse({ [input]: 'https://example.com:8443' }).settings[field]?.origin).toBe('https://example.com:8443')
  })

  it.each([
    'http://localhost:8080',
    'http://127.0.0.1:9000/x',
    'http://127.12.0.3',
    'http://[::1]:3000',
    'http://LOCALHOST',
  ])('accepts plain http for the loopback host %s', (text) => {
    const url = parse({ 'base-url': text }).settings.baseUrl
    expect(url?.protocol).toBe('http:')
  })

  it.each([
    'http://example.com',
    'http://127.0.0.1.example.com',
    'http://localhost.example.com',
    'http://10.0.0.1',
    'ftp://example.com',
    'file:///etc/passwd',
  ])('refuses %s (not https, not loopback)', (text) => {
    const error = inputError({ 'base-url': text })
    expect(error.input).toBe('base-url')
    expect(error.message).toContain("'base-url'")
    expect(error.message).toContain('Only https')
  })

  it.each(URL_INPUTS)('%s refuses something that is not a URL', (input) => {
    const error = inputError({ [input]: 'example.com/api' })
    expect(error.input).toBe(input)
    expect(error.message).toContain('is not a URL')
  })

  it.each(['https://user:hunter2pass@example.com', 'https://user@example.com', 'https://:hunter2pass@example.com'])(
    'refuses credentials in the URL (%s) without echoing them',
    (text) => {
      const error = inputError({ 'base-url': text })
      expect(error.input).toBe('base-url')
      expect(error.message).toContain('carries credentials')
      expect(error.message).not.toContain('hunter2pass')
    },
  )

  // A plain-http URL with credentials must not print the password either: the credentials check
  // has to win over the scheme check, whose message quotes the whole value.
  it('never echoes a password given in a plain-http URL', () => {
    const error = inputError({ 'auth-url': 'http://admin:hunter2pass@iam.example.com' })
    expect(error.input).toBe('auth-url')
    expect(error.message).not.toContain('hunter2pass')
  })

  it.each(['https://example.com/?token=abc', 'https://example.com/#frag', 'https://example.com/api?x=1#y'])(
    'refuses a query or fragment (%s)',
    (text) => {
      const error = inputError({ 'auth-url': text })
      expect(error.input).toBe('auth-url')
      expect(error.message).toContain('query or fragment')
    },
  )

  it('isLoopbackHost is true only for loopback names', () => {
    expect(['localhost', '127.0.0.1', '127.255.0.9', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true])
    expect(['example.com', '128.0.0.1', '::1', '127.0.0', 'localhost.evil'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
  })
})

describe('region', () => {
  it('defaults to global for qoder', () => {
    expect(parse({ provider: 'qoder' }).settings.region).toBe('global')
  })

  it.each([
    ['cn', 'cn'],
    ['CN', 'cn'],
    ['global', 'global'],
  ])("qoder accepts '%s' as %s", (text, region) => {
    expect(parse({ region: text }).settings.region).toBe(region)
  })

  it.each(['us', 'cn-north-4', 'eu'])("qoder refuses '%s', listing global and cn", (text) => {
    const error = inputError({ region: text })
    expect(error.input).toBe('region')
    expect(error.message).toContain(`'${text}'`)
    expect(error.message).toContain("'global'")
    expect(error.message).toContain("'cn'")
  })

  it('is a Huawei region name for huaweicloud-rts, and unset by default', () => {
    expect(parse({ provider: 'huaweicloud-rts', region: 'cn-north-4' }).settings.region).toBe('cn-north-4')
    expect(parse({ provider: 'huaweicloud-rts' }).settings.region).toBeUndefined()
  })

  it('refuses a malformed Huawei region', () => {
    const error = inputError({ provider: 'huaweicloud-rts', region: 'CN North 4' })
    expect(error.input).toBe('region')
    expect(error.message).toContain('cn-north-4')
  })
})

describe('ids', () => {
  it('accepts a project id and a guest space id', () => {
    const { settings } = parse({ 'project-id': '0b1c2d3e4f5a6b7c', 'guest-space-id': '12' })
    expect(settings.projectId).toBe('0b1c2d3e4f5a6b7c')
    expect(settings.guestSpaceId).toBe('12')
  })

  it.each(['../etc', 'a/b', 'x'.repeat(65)])("refuses project-id '%s'", (text) => {
    const error = inputError({ 'project-id': text })
    expect(error.input).toBe('project-id')
    expect(error.message).toContain("'project-id'")
  })

  it.each(['0', '-3', '1.5', 'abc', '12/../1'])("refuses guest-space-id '%s'", (text) => {
    const error = inputError({ 'guest-space-id': text })
    expect(error.input).toBe('guest-space-id')
    expect(error.message).toContain('positive whole number')
  })
})

describe('secrets', () => {
  const SECRET_INPUTS: Record<string, string> = {
    token: 'tok-value-1',
    password: 'pw-value-2',
    'oauth-token': 'oauth-value-3',
    'basic-auth': 'siteuser:basic-pass-4',
    'access-key': 'ak-value-5',
    'secret-key': 'sk-value-6',
    'security-token': 'st-value-7',
    'github-token': 'ghs_value8',
  }
  const PLAIN_INPUTS: Record<string, string> = {
    username: 'alice-user',
    domain: 'my-domain',
    target: 'dep_target01',
    region: 'cn',
    'base-url': 'https://base.example.com',
    'auth-url': 'https://iam.example.com',
    'project-id': 'proj123',
    'guest-space-id': '77',
    'github-environment': 'production',
    timeout: '5m',
  }

  it('registers every credential input, the basic-auth password half too, and nothing else', () => {
    const { settings, secrets } = parse({ ...SECRET_INPUTS, ...PLAIN_INPUTS })
    expect(new Set(secrets)).toEqual(new Set([...Object.values(SECRET_INPUTS), 'basic-pass-4']))
    for (const plain of Object.values(PLAIN_INPUTS)) expect(secrets).not.toContain(plain)
    expect(secrets).not.toContain('siteuser')
    expect(settings.credentials).toEqual({
      token: 'tok-value-1',
      password: 'pw-value-2',
      oauthToken: 'oauth-value-3',
      basicAuth: 'siteuser:basic-pass-4',
      accessKey: 'ak-value-5',
      secretKey: 'sk-value-6',
      securityToken: 'st-value-7',
      username: 'alice-user',
      domain: 'my-domain',
    })
    expect(settings.githubToken).toBe('ghs_value8')
  })

  it('registers nothing for unset credentials', () => {
    expect(parse().secrets).toEqual([])
  })

  it('keeps everything after the first colon as the basic-auth password', () => {
    expect(parse({ 'basic-auth': 'u:pa:ss' }).secrets).toEqual(['u:pa:ss', 'pa:ss'])
  })

  it.each(['no-colon-here', ':only-password'])(
    "refuses basic-auth '%s' without a user, after registering it",
    (text) => {
      const secrets: string[] = []
      const error = inputError({ 'basic-auth': text }, secrets)
      expect(error.input).toBe('basic-auth')
      expect(error.message).toContain("'user:password'")
      expect(error.message).not.toContain(text)
      expect(secrets).toContain(text)
    },
  )

  it.each([
    ['timeout', 'soon'],
    ['provider', 'nope'],
    ['provider', ''],
    ['payload', '{}'],
    ['max-retries', '99'],
    ['target', 'a,a'],
    ['base-url', 'http://example.com'],
    ['summary', 'maybe'],
    ['concurrency', '0'],
    ['region', 'mars'],
  ])('has registered every credential before a bad %s can throw', (input, text) => {
    const secrets: string[] = []
    const error = inputError({ ...SECRET_INPUTS, [input]: text }, secrets)
    expect(error.input).toBe(input)
    for (const value of Object.values(SECRET_INPUTS)) expect(secrets).toContain(value)
    expect(secrets).toContain('basic-pass-4')
  })

  it('registers each credential before the next input is even read', () => {
    const order: string[] = []
    const values: Record<string, string> = { ...BASE, ...SECRET_INPUTS, timeout: 'soon' }
    expect(() =>
      parseSettings(
        (name) => {
          order.push(`read:${name}`)
          return values[name] ?? ''
        },
        (value) => order.push(`secret:${value}`),
        {},
      ),
    ).toThrow(InputError)
    // Every secret registration comes before the first non-credential input is read.
    const firstPlainRead = order.findIndex(
      (entry) =>
        entry.startsWith('read:') &&
        !Object.keys(SECRET_INPUTS).includes(entry.slice(5)) &&
        entry !== 'read:username' &&
        entry !== 'read:domain',
    )
    const lastSecret = order.map((entry) => entry.startsWith('secret:')).lastIndexOf(true)
    expect(firstPlainRead).toBeGreaterThan(-1)
    expect(lastSecret).toBeLessThan(firstPlainRead)
  })
})

describe('pr-comment', () => {
  it('takes auto (the default), changes-only or false, whatever the case', () => {
    expect(parse().settings.prComment).toBe('auto')
    expect(parse({ 'pr-comment': 'changes-only' }).settings.prComment).toBe('changes-only')
    expect(parse({ 'pr-comment': 'False' }).settings.prComment).toBe('false')
    expect(parse({ 'pr-comment': 'AUTO' }).settings.prComment).toBe('auto')
  })

  it('refuses anything else, naming the input and the values it takes', () => {
    for (const value of ['true', 'always', 'changes', 'no']) {
      const error = inputError({ 'pr-comment': value })
      expect(error.input).toBe('pr-comment')
      expect(error.message).toBe(`Invalid input 'pr-comment': '${value}'. Expected auto, changes-only or false.`)
    }
  })
})
