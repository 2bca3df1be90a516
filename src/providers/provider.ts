/**
 * The one interface every provider implements, and the types it speaks. Types only: the helpers
 * providers share are in shared.ts and the registry in registry.ts, so nothing imports in a circle.
 * Providers never import @actions/core, main or report: they get everything through the
 * context, and so run the same in tests, in the demo and on a runner.
 */
import type { ApiClient, ErrorDetails, Logger, OutgoingRequest } from '../http/client.js'
import type { Deadline } from '../deadline.js'
import type { ApiError, Problem } from '../errors.js'
import type { PayloadObject } from '../payload.js'
import type { Settings } from '../settings.js'
import type { PollResult } from '../wait.js'
import type { Change } from '../diff.js'

/** What a provider needs while it talks to its API. */
export interface ProviderContext {
  client: ApiClient
  settings: Settings
  deadline: Deadline
  signal: AbortSignal
  log: Logger & { group<T>(title: string, work: () => Promise<T>): Promise<T> }
  /** Register a value derived from a credential (a header value, a token) as a secret; returns it. */
  secret(value: string): string
  /** Hide every registered secret in server text; use it before cutting an excerpt, so a cut never leaves part of one. */
  redact: (text: string) => string
}

/** The single write's result. */
export interface UpdateResult {
  /** The resource as the write left it (final unless `pending`). */
  resource: unknown
  providerStatus: string
  /** Unset when the write's answer was lost and the provider found by reading that it was applied. */
  httpStatus?: number
  requestId?: string
  /** True when an asynchronous part follows and `poll` must be waited on. */
  pending: boolean
  /** A bound of this provider's own for the wait (Aieev: the endpoint's health-check timeout plus a margin). */
  maxWaitMs?: number
  /** Callouts for the summary about the write itself (e.g. the endpoint was left inactive). */
  notes?: string[]
}

/** The request a dry run would send, secrets already redacted by the caller. */
export interface RequestPreview {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
}

export interface Provider {
  /** The name the registry knows it by (the 'provider' input). */
  readonly name: string
  /** Paths that change by themselves and never count as a change (`[*]` matches any index). */
  readonly volatile: readonly string[]
  /** The API's base URL for these settings (origin plus path prefix). */
  baseUrl(settings: Settings): URL
  /** Problems with the inputs this provider needs (credentials, ids), as messages naming the input. Pure. */
  checkInputs(settings: Settings): Problem[]
  /** A problem with one target id, or undefined when it has the provider's id shape. Pure. */
  checkTarget(target: string): string | undefined
  /**
   * A valid id as the provider compares ids (RTS: a UUID, in lower case), so one resource listed
   * twice in two spellings is refused rather than updated twice. By default the id as written.
   */
  canonicalTarget?(target: string): string
  /** Every problem of the payload, each with its JSON path. Pure. */
  validate(payload: PayloadObject, settings: Settings): Problem[]
  /** A hook that adds credentials to each request; may derive (and register) secrets or fetch a token. */
  authorize(ctx: Omit<ProviderContext, 'client'>): Promise<(request: OutgoingRequest) => void | Promise<void>>
  /** Reads the provider's error body. */
  parseError(status: number, body: unknown, text: string): ErrorDetails
  /** The sentence that says what to do about an API error, or undefined to keep the plain message. */
  advise(error: ApiError, target: string, settings: Settings): string | undefined
  /** The live resource, for the diff's before side and for dry runs. */
  read(ctx: ProviderContext, target: string): Promise<unknown>
  /** The one write; `before` is what `read` returned. */
  update(ctx: ProviderContext, target: string, payload: PayloadObject, before: unknown): Promise<UpdateResult>
  /** One status read of the asynchronous part; throws DeployFailedError on the provider's failure state. */
  poll?(ctx: ProviderContext, target: string, last: UpdateResult): Promise<PollResult<unknown>>
  /** What the resource would look like after the update, for a dry run's diff. */
  preview(before: unknown, payload: PayloadObject): unknown
  /** The request the update would send (headers without credentials), for a dry run. */
  describeRequest(ctx: ProviderContext, target: string, payload: PayloadObject): RequestPreview
  /** The provider's own status of a resource read with `read`. */
  statusOf(resource: unknown): string | undefined
  /** Things worth calling out in the summary about a resource (paused, archived, inactive …). */
  notes?(resource: unknown): string[]
  /**
   * Where a person can see the resource (a console page or the serving URL), if the provider has
   * one, and the words of the link ('Open app 7 in kintone'). The URL is also the GitHub
   * deployment's environment_url.
   */
  consoleLink?(target: string, settings: Settings, resource: unknown): { url: string; label: string } | undefined
  /** Plain facts about the final resource for the summary (RTS: action, status reason, output values). */
  details?(resource: unknown): string[]
  /**
   * The units of work: by default one per target. A provider whose API updates many resources
   * in one call (kintone: up to 300 apps per deploy) returns a single unit.
   */
  units?(targets: readonly string[], payload: PayloadObject): string[]
  /** Changes between before and after when a field diff is not what "changed" means (kintone: every deployed app). */
  changes?(before: unknown, after: unknown, payload: PayloadObject): Change[]
  /**
   * Values in the payload that may be secrets (Aieev: env var values), with their keys, registered
   * before anything is logged: each is redacted in deploy-patch's output, and registered with the
   * runner when it could be a credential (Secrets.addSetting).
   */
  secretsIn?(payload: PayloadObject): { key?: string; value: string }[]
  /** A copy of a resource or request body fit to show: secrets inside it replaced by `***`. */
  redact?(value: unknown): unknown
  /** Per-item results inside one unit (kintone: one per app), for `results` and the summary. */
  items?(resource: unknown, payload: PayloadObject): OutcomeItem[]
  /** Column names for the summary's item table. */
  readonly itemLabels?: { item: string; detail: string }
}

/** One item of a unit (a kintone app), as `results` and the summary show it. */
export interface OutcomeItem {
  id: string
  /** The provider's status of the item as this run left it; unset when no state was read after the write. */
  providerStatus?: string
  succeeded: boolean
  /**
   * Why there is no provider status: 'not deployed' (the write was refused, or never sent) or
   * 'unknown' (the write may have been applied, and no read after it told).
   */
  unread?: 'not deployed' | 'unknown'
  /** Extra column for the summary (kintone: the revision asked). */
  detail?: string
}
