/**
 * The "Open" link of the summary (and the GitHub deployment's environment_url): words that say
 * where it goes, and only to an address fit to link. Aieev's serving URL comes from the server:
 * https anywhere, plain http only on loopback while the API itself is on loopback (an emulator),
 * as for 'base-url'.
 */
import { describe, expect, it } from 'vitest'
import { aieev } from '../../src/providers/aieev.ts'
import { kintone } from '../../src/providers/kintone.ts'
import type { Provider } from '../../src/providers/provider.ts'
import { parseSettings, type Settings } from '../../src/settings.ts'

const settings = (inputs: Record<string, string>) =>
  parseSettings(
    (name) => inputs[name] ?? '',
    () => {},
    {},
  )
/** The link `view` gives for a resource of `unit` (its ids comma-separated) under `settings`. */
const linkOf = <R>(provider: Provider<R>, unit: string, on: Settings, resource: R) =>
  provider.view(resource, { unit: { id: unit, members: unit.split(',') }, settings: on, payload: {}, redact: (t) => t })
    .link
const aieevAt = (baseUrl: string) =>
  settings({ provider: 'aieev', token: 'k', target: 'ep-1', payload: '{}', 'base-url': baseUrl })

describe('aieev: the serving URL as a link', () => {
  it.each([
    [
      'https on any host',
      'https://external.aieev.cloud',
      'https://ep-1.serving.aieev.cloud/',
      'https://ep-1.serving.aieev.cloud/',
    ],
    [
      'http on loopback, API on loopback',
      'http://127.0.0.1:8080',
      'http://127.0.0.1:8080/serving/ep-1',
      'http://127.0.0.1:8080/serving/ep-1',
    ],
    [
      'http on loopback, API elsewhere',
      'https://external.aieev.cloud',
      'http://127.0.0.1:8080/serving/ep-1',
      undefined,
    ],
    ['http on another host', 'http://localhost:8080', 'http://serving.example.com/ep-1', undefined],
    ['credentials in the URL', 'https://external.aieev.cloud', 'https://u:p@ep-1.serving.aieev.cloud/', undefined],
    ['another scheme', 'https://external.aieev.cloud', 'javascript:alert(1)', undefined],
    ['not a URL', 'https://external.aieev.cloud', 'ep-1.serving', undefined],
    ['no URL', 'https://external.aieev.cloud', null, undefined],
  ])('%s', (_, baseUrl, serving, linked) => {
    const link = linkOf(aieev, 'ep-1', aieevAt(baseUrl), { endpoint_id: 'ep-1', serving_endpoint_url: serving })
    expect(link?.url).toBe(linked)
    if (linked) expect(link?.label).toBe('Open the serving URL of endpoint ep-1')
  })
})

describe('kintone: the app page or the portal, in words', () => {
  const site = settings({
    provider: 'kintone',
    token: 'abc',
    target: '11',
    payload: '{}',
    'base-url': 'https://example.cybozu.com',
  })
  it('one app: its page', () => {
    expect(linkOf(kintone, '11', site, { apps: [] })).toEqual({
      url: 'https://example.cybozu.com/k/11/',
      label: 'Open app 11 in kintone',
    })
  })
  it('several apps: the portal', () => {
    expect(linkOf(kintone, '11,12,13', site, { apps: [] })).toEqual({
      url: 'https://example.cybozu.com/k/#/portal',
      label: 'Open the kintone portal',
    })
  })
})
