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
  /** The same context with a client bound by another deadline (the rollback's own); unset: only `deadline` changes. */
  withDeadline?(deadline: Deadline): ProviderContext
  /**
   * Set for `update` only. An update with a step after its write (Aieev: the start after the PATCH)
   * calls it once the write is applied, with the resource as the write left it: a failure after
   * that is the release failing, which `on-failure: rollback` answers as it answers a failed wait.
   */
  applied?(resource: unknown): void
}

/** What `connect` has before any client of the API exists. */
export interface ConnectContext extends Omit<ProviderContext, 'client'> {
  /**
   * A client for another origin (Huawei's IAM login), on the run's retry, timeout, redaction and
   * logging path but without the run's credential; the caller disposes of it.
   */
  clientFor(baseUrl: URL, parseError: Connection['parseError']): ApiClient
}

/** How to talk to the API: where it is, how a request carries the credential, how an error body reads. */
export interface Connection {
  /** The API's base URL (origin plus path prefix). */
  baseUrl: URL
  /** Adds credentials to each request (every attempt: a signature carries a fresh date). */
  authorize: (request: OutgoingRequest) => void | Promise<void>
  /** Reads the provider's error body. */
  parseError: (status: number, body: unknown, text: string) => ErrorDetails
}

/**
 * One unit of work: what one run of read → update → wait covers. Usually one target; an API that
 * updates many resources in one call (kintone: up to 300 apps per deploy) has them all as members.
 */
export interface Unit {
  /** The unit's name in outputs and messages (kintone: the app ids, comma-separated). */
  id: string
  /** The provider's resource ids in this unit. */
  members: string[]
}

/** The single write's result. */
export interface UpdateResult<R> {
  /** The resource as the write left it (final unless `pending`). */
  resource: R
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

/** The request a dry run shows: headers without credentials, the body with its secrets hidden. */
export interface RequestPreview {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
}

/** What a dry run shows: the request it would send, and the resource it predicts. */
export interface Plan<R> {
  request: RequestPreview
  after: R
}

/** A value in the payload to treat as a secret, with its key when it has one (an env var's name). */
export interface PayloadSecret {
  key?: string
  value: string
}

/** What `view` needs besides the resource. */
export interface ViewContext {
  unit: Unit
  settings: Settings
  payload: PayloadObject
  /** Hides every registered secret in text. */
  redact: (text: string) => string
}

/** A resource as the outputs and the summary show it. */
export interface ResourceView {
  /** The provider's own status of the resource. */
  status: string | undefined
  /** Things worth calling out (paused, archived, inactive …). */
  notes: string[]
  /** A copy fit to show, secrets inside it replaced by `***`; unset: the resource itself. */
  shown?: unknown
  /**
   * Where a person can see the resource (a console page or the serving URL) and the words of the
   * link ('Open app 7 in kintone'). The URL is also the GitHub deployment's environment_url.
   */
  link?: { url: string; label: string }
  /** Plain facts for the summary (RTS: action, status reason, output values), secrets hidden. */
  details?: string[]
  /** Per-item rows inside the unit (kintone: one per app), with the summary table's column names. */
  items?: { labels: { item: string; detail: string }; rows: OutcomeItem[] }
}

/**
 * A provider, typed by its resource `R`: what it refuses before sending, how it connects, how it
 * reads, plans, updates and waits, and how its resources and errors read.
 */
export interface Provider<R = unknown> {
  /** The name the registry knows it by (the 'provider' input). */
  readonly name: string

  // Before sending: pure.
  /**
   * Every refusal before sending, each naming its input or with its JSON path: the inputs, the
   * target ids (one resource listed twice included) and, when given, the payload.
   */
  check(settings: Settings, payload?: PayloadObject): Problem[]
  /** The units of work, each target in the provider's spelling of its id. */
  units(settings: Settings, payload: PayloadObject): Unit[]
  /**
   * Values in the payload to treat as secrets (Aieev: env var values), registered before anything
   * is logged: redacted in deploy-patch's output, and with the runner when one may be a credential.
   */
  secrets(payload: PayloadObject): PayloadSecret[]

  // Talking to the API.
  /** Where the API is and how to authorize and read errors; may log in first (and register what it derives as secrets). */
  connect(ctx: ConnectContext): Promise<Connection>
  /**
   * How to put back what `update` changed when the release fails (`on-failure: rollback`); unset
   * for a provider whose failures leave nothing to undo (its `check` says why it refuses rollback).
   */
  restore?: Restore<R>
  /** The live resource, for the diff's before side and for dry runs. */
  read(ctx: ProviderContext, unit: Unit): Promise<R>
  /** The request the update would send and the resource it would leave, for a dry run. Pure. */
  plan(ctx: ProviderContext, unit: Unit, before: R, payload: PayloadObject): Plan<R>
  /** The one write; `before` is what `read` returned. */
  update(ctx: ProviderContext, unit: Unit, payload: PayloadObject, before: R): Promise<UpdateResult<R>>
  /** One status read of the asynchronous part; throws DeployFailedError (with the resource) on the provider's failure state. */
  poll?(ctx: ProviderContext, unit: Unit, last: UpdateResult<R>): Promise<PollResult<R>>

  // Reading the results.
  /** The changes between two states, with values fit to show (shared.ts's fieldChanges: the field diff). */
  changes(before: R, after: R, payload: PayloadObject): Change[]
  /** How a resource reads: status, notes, a copy fit to show, link, details, items. Pure. */
  view(resource: R, at: ViewContext): ResourceView
  /**
   * The sentence that says what to do about an API error, or undefined to keep the plain message;
   * `unit` is unset for an error while connecting (Huawei's IAM login).
   */
  advise(error: ApiError, unit: Unit | undefined, settings: Settings): string | undefined
}

/** The write that puts a resource back, planned from the read before the update. */
export type RestorePlan =
  | {
      /** The previous values of the fields the payload sets: the rollback's request body. */
      body: PayloadObject
      /** Per field: the value the payload sets (`before`) and the one put back (`after`), fit to show. */
      fields: Change[]
    }
  | {
      /** The fields the payload sets whose previous value neither the read nor the known-good payload gives. */
      missing: string[]
      /** Why they are missing and what to do, for the refusal's message. */
      why: string
    }

/** Putting back the fields the payload set, as they were before the update (`on-failure: rollback`). */
export interface Restore<R> {
  /** The rollback's body from `before` (the read before the update) and, where it lacks one, `known` (rollback-payload). Pure. */
  plan(before: R, payload: PayloadObject, known: PayloadObject | undefined): RestorePlan
  /**
   * The rollback's one write (never twice blindly, as `update`'s): `now` is the resource as last
   * seen after the failed update; the result is polled with `poll` until the resource serves again.
   */
  write(ctx: ProviderContext, unit: Unit, body: PayloadObject, now: R): Promise<UpdateResult<R>>
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
