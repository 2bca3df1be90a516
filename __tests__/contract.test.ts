/**
 * The contract between action.yml and the code: every declared input is read, nothing reads an
 * undeclared one, inputs are read only in settings.ts, and the README's tables match action.yml.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { PROVIDERS } from '../src/providers/registry.js'
import { parseSettings } from '../src/settings.js'
import { readAction, updateReadme } from '../script/docs.ts'
import { FAULT_IDS, PROVIDER_NAMES } from './reliability/harness.ts'

const root = path.resolve(import.meta.dirname, '..')
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  name: string
  runs: { using: string; main: string }
  branding: { icon: string; color: string }
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>
  outputs: Record<string, { description?: string }>
}
const SPEC_INPUTS = [
  'provider',
  'payload-file',
  'payload',
  'target',
  'token',
  'username',
  'password',
  'domain',
  'oauth-token',
  'basic-auth',
  'access-key',
  'secret-key',
  'security-token',
  'auth-url',
  'region',
  'project-id',
  'guest-space-id',
  'base-url',
  'restart',
  'wait',
  'timeout',
  'poll-interval',
  'max-retries',
  'dry-run',
  'substitute-env',
  'github-environment',
  'github-token',
  'summary',
  'concurrency',
  // The plan as a pull-request comment (issue 15).
  'pr-comment',
  // Rollback on failure (issue 16).
  'on-failure',
  'rollback-payload-file',
  'rollback-payload',
  'rollback-timeout',
]
const SPEC_OUTPUTS = [
  'resource',
  'resource-file',
  'resource-id',
  'status',
  'provider-status',
  'changed',
  'changes',
  'results',
  'http-status',
  'request-id',
  'error-type',
  'error-message',
  'github-deployment-id',
  // The product contract: "the whole results go to a file" when they pass GitHub's limits; this output names it (issue 12).
  'results-file',
  // The plan's pull-request comment (issue 15).
  'pr-comment-url',
  // Whether a failed release was put back (issue 16).
  'rolled-back',
]

/** The input names parseSettings reads for a given provider. */
function inputsRead(provider: string): Set<string> {
  const read = new Set<string>()
  const values: Record<string, string> = { provider, payload: '{"name": "x"}' }
  parseSettings(
    (name) => {
      read.add(name)
      return values[name] ?? ''
    },
    () => {},
    {},
  )
  return read
}

describe('action.yml', () => {
  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
    expect(action.name).toBe('deploy-patch')
    expect(action.branding.icon).toBeTruthy()
  })

  it('declares every input and output of the product contract, each with a description', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...SPEC_INPUTS].sort())
    expect(Object.keys(action.outputs).sort()).toEqual([...SPEC_OUTPUTS].sort())
    for (const [name, input] of Object.entries({ ...action.inputs, ...action.outputs }))
      expect(input.description, name).toBeTruthy()
  })

  it('declares the defaults the product contract gives', () => {
    const defaults = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, i]) => i.default !== undefined)
        .map(([n, i]) => [n, i.default]),
    )
    expect(defaults).toEqual({
      restart: 'true',
      wait: 'true',
      timeout: '10m',
      'poll-interval': '1s',
      'max-retries': '5',
      'dry-run': 'false',
      'substitute-env': 'false',
      'github-token': '${{ github.token }}',
      'pr-comment': 'auto',
      summary: 'true',
      concurrency: '4',
      'on-failure': 'report',
      'rollback-timeout': '5m',
    })
    expect(action.inputs.provider?.required).toBe(true)
  })

  it.each(PROVIDERS)('the code reads exactly the declared inputs (provider %s)', (provider) => {
    expect([...inputsRead(provider)].sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it('reads inputs only in src/settings.ts, through the reader main.ts passes in', () => {
    const files = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    )
    const offenders: string[] = []
    for (const file of files) {
      const text = readFileSync(path.join(root, 'src', file), 'utf8')
      for (const match of text.matchAll(/\b(getInput|getBooleanInput|getMultilineInput)\s*\(([^)]*)\)/g)) {
        if (!(file === 'main.ts' && match[2] === 'name')) offenders.push(`${file}: ${match[0]}`)
      }
      if (/process\.env\.INPUT_|process\.env\[['"`]INPUT_/.test(text)) offenders.push(`${file}: reads INPUT_ directly`)
    }
    expect(offenders).toEqual([])
  })
})

describe('README', () => {
  it('has input and output tables generated from action.yml (run `npm run docs` when this fails)', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    expect(updateReadme(readme, readAction(root))).toBe(readme)
  })

  it("states the reliability suite's case counts as the suite has them (docs/reliability.md)", () => {
    const readme = readFileSync(path.join(root, 'docs/reliability.md'), 'utf8')
    const corpus = parse(readFileSync(path.join(root, '__tests__/bad-inputs/cases.yaml'), 'utf8')) as {
      rejected: unknown[]
      accepted: unknown[]
    }
    expect(readme).toContain(`| ${PROVIDER_NAMES.length * FAULT_IDS.length} cases: `)
    expect(readme).toContain(`every provider × ${FAULT_IDS.length} faults`)
    expect(readme).toContain(`| ${corpus.rejected.length} bad inputs, all refused before any request`)
    expect(readme).toContain(`; ${corpus.accepted.length} inputs accepted as intended`)
  })

  it('starts with the two-command quick start', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    expect(readme).toContain('npm ci && npm run demo')
    expect(readme).toContain('npm test')
  })
})
