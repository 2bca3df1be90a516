/**
 * The providers by name. Each entry is what must be known of a provider before its module loads:
 * how to load it (only when it is chosen, so no provider's code or dependencies load for another)
 * and the little settings.ts needs to parse its inputs synchronously (its regions, whether it needs
 * a payload). Everything else lives in the provider's own file: a fifth provider is that file and
 * one entry here.
 */
import type { Provider } from './provider.js'
import { QODER_REGIONS } from './qoder-regions.js'

/** One provider as the registry knows it. */
export interface ProviderEntry {
  /** Loads the provider's module. */
  load(): Promise<Provider>
  /**
   * The values of 'region' (case-insensitive), each with the API host it names; the first is the
   * default. Unset: 'region' is optional and, when given, a region name such as cn-north-4.
   */
  regions?: Readonly<Record<string, string>>
  /** The payload when neither 'payload-file' nor 'payload' is set (kintone deploys app ids alone); unset: one is required. */
  defaultPayload?: string
}

const BUILT_IN = {
  qoder: {
    load: async () => (await import('./qoder.js')).qoder,
    regions: QODER_REGIONS,
  },
  kintone: { load: async () => (await import('./kintone.js')).kintone, defaultPayload: '{}' },
  'huaweicloud-rts': { load: async () => (await import('./huaweicloud-rts.js')).huaweicloudRts },
  aieev: { load: async () => (await import('./aieev.js')).aieev },
} satisfies Record<string, ProviderEntry>

/** A built-in provider's name, as the 'provider' input takes it. */
export type ProviderName = keyof typeof BUILT_IN

/** The built-in providers' names, in the order messages list them. */
export const PROVIDERS = Object.keys(BUILT_IN) as ProviderName[]

const entries = new Map<string, ProviderEntry>(Object.entries(BUILT_IN))

/** Every registered provider's name, in registry order. */
export function providerNames(): string[] {
  return [...entries.keys()]
}

/** The entry registered under `name` (exactly as registered), or undefined. */
export function providerEntry(name: string): ProviderEntry | undefined {
  return entries.get(name)
}

/** Load the chosen provider's module. */
export async function loadProvider(name: ProviderName): Promise<Provider> {
  const entry = entries.get(name)
  if (!entry) throw new Error(`No provider '${name}' is registered.`)
  return entry.load()
}

/**
 * For tests only: register one more provider, as one more entry in BUILT_IN would, so a test can
 * prove that a provider needs nothing else. The name is not in ProviderName's type; `parseSettings`
 * and `loadProvider` accept it like a built-in one for the rest of the process.
 */
export function registerProvider(name: string, entry: ProviderEntry): void {
  if (entries.has(name)) throw new Error(`A provider '${name}' is already registered.`)
  entries.set(name, entry)
}
