/**
 * The flow, one way through: settings → provider → payload → every check before sending → the
 * GitHub record (with `github-environment`) → for each unit, read → update → wait → diff, on an
 * ApiClient of its own. One deadline and the caller's cancellation bound all of it. It never throws
 * and never talks to the runner: every failure lands in the report it returns, and the log, the
 * secret masking and the signal come from the caller. main.ts runs it on a runner (and so the
 * demo and the end-to-end tests, through dist/), the reliability harness runs it in-process.
 */
import { ApiClient, type ClientOptions, type CredentialState } from './http/client.js'
import { Deadline } from './deadline.js'
import { ApiError, InputError, PayloadError, type LocatedProblem } from './errors.js'
import { describeFailure, type Failure } from './failure.js'
import { startDeploymentRecord, type DeploymentRecord } from './github-deployment.js'
import { loadPayload, type Payload } from './payload.js'
import {
  checkBeforeSending,
  checkInputs,
  mapConcurrent,
  offlineDryRun,
  offlineOutcome,
  runTarget,
  type RollbackSupport,
} from './pipeline.js'
import type { Connection, Provider, ProviderContext, Unit } from './providers/provider.js'
import { loadProvider } from './providers/registry.js'
import { overallStatus, type Outcome, type RunReport } from './outcome.js'
import type { Secrets } from './secrets.js'
import { parseSettings, type InputReader, type Settings } from './settings.js'

/** The run's log: every line goes through it, redacted (and made inert) by the caller on a runner. */
export type RunLog = ProviderContext['log']

/** What a run takes from where it runs: the runner in main.ts, the reliability harness in tests. */
export interface DeployOptions {
  /** The action's inputs by name, as `core.getInput` reads them. */
  readInput: InputReader
  /** The environment: RUNNER_TEMP, GITHUB_WORKSPACE, GITHUB_REPOSITORY, and what `substitute-env` reads. */
  env: NodeJS.ProcessEnv
  /** Every credential is registered here before anything is logged. */
  secrets: Secrets
  /** The runner's cancellation. */
  signal: AbortSignal
  /** The log, given once the units are known: `grouped` when one unit runs, as collapsible groups cannot interleave. */
  log(grouped: boolean): RunLog
  /** Settings no input can give (the harness's poll interval below the inputs' minimum); none on a runner. */
  settings?: Partial<Settings>
  /** Client clocks and caps for tests (per-request timeout, body cap, jitter); the client's defaults on a runner. */
  client?: Pick<ClientOptions, 'requestTimeoutMs' | 'maxBodyBytes' | 'random'>
}

/** A finished run: its report, and the GitHub record's final status, on its way while the report is written. */
export interface Deployment {
  /** Unset when the inputs could not be read. */
  settings?: Settings
  report: RunReport
  recorded?: Promise<void>
}

/** Run the action's work from its inputs to a report; never throws. */
export async function deploy(options: DeployOptions): Promise<Deployment> {
  const started = Date.now()
  const clients: ApiClient[] = []
  let settings: Settings | undefined
  let record: DeploymentRecord | undefined
  let outcomes: Outcome[] = []
  let problems: LocatedProblem[] = []
  let error: Failure | undefined
  // Set while connecting: an API error then (Huawei's IAM login) gets the provider's advice, as a target's would.
  let connecting: { advise(error: ApiError): string | undefined } | undefined
  try {
    settings = {
      ...parseSettings(options.readInput, (value) => void options.secrets.add(value), options.env),
      ...options.settings,
    }
    // The deadline starts before the payload is read: a large payload counts against `timeout`.
    const deadline = new Deadline(settings.timeoutMs)
    const { provider, payload, units, skipped, rollback } = await prepare(settings, deadline, options)
    const log = options.log(units.length <= 1)
    if (settings.githubEnvironment) {
      const { githubEnvironment: environment, githubToken: token, dryRun } = settings
      record = await startDeploymentRecord({
        environment,
        token,
        provider: provider.name,
        targets: units.map((unit) => unit.id),
        dryRun,
        log,
        deadline,
        signal: options.signal,
      })
    }
    if (skipped !== undefined) {
      // A dry run without credentials (a pull request from a fork): valid offline, and nothing is sent, not even a login.
      outcomes = units.map((unit) => offlineOutcome(unit, skipped, log))
    } else {
      const chosen = settings
      connecting = { advise: (apiError) => provider.advise(apiError, undefined, chosen) }
      const contextFor = await connect(provider, { settings, deadline, log, clients }, options)
      connecting = undefined
      outcomes = await mapConcurrent(units, settings.concurrency, (unit) =>
        runTarget(provider, contextFor(), unit, payload, rollback),
      )
    }
  } catch (caught) {
    error = describeFailure(caught, connecting)
    if (caught instanceof PayloadError) problems = caught.problems
  } finally {
    for (const client of clients) client.dispose()
  }
  const report: RunReport = {
    provider: settings?.provider,
    outcomes,
    problems,
    error,
    dryRun: settings?.dryRun ?? false,
    durationMs: Date.now() - started,
    githubDeployment: record,
  }
  // The final GitHub status goes out while the report is written, so a slow GitHub API never delays the outputs.
  const recorded = record?.finish(
    overallStatus(report),
    outcomes.find((o) => o.consoleUrl)?.consoleUrl,
    outcomes.some((o) => o.rolledBack),
  )
  return { settings, report, recorded }
}

/**
 * The provider, the payload and the units of work, once every check before sending has passed;
 * else a PayloadError listing every problem found. Registers the payload's own secrets. `skipped`
 * says why a dry run without any credential validates offline only.
 */
async function prepare(
  settings: Settings,
  deadline: Deadline,
  { env, signal, secrets }: DeployOptions,
): Promise<{ provider: Provider; payload: Payload; units: Unit[]; skipped?: string; rollback?: RollbackSupport }> {
  const provider = await loadProvider(settings.provider)
  // A payload file is read only from the workspace or RUNNER_TEMP (when the runner sets it; not TMPDIR or /tmp).
  // A payload that cannot be read or parsed is reported together with every input problem (inputs first),
  // not instead of them.
  const payload = await loadPayload({ ...settings, runnerTemp: env.RUNNER_TEMP || undefined }, env, {
    deadline,
    signal,
  }).catch((loadError: unknown) => {
    throw withInputProblems(offlineDryRun(settings, checkInputs(provider, settings)).problems, loadError)
  })
  for (const { key, value } of provider.secrets(payload.value)) secrets.addSetting(key, value)
  // on-failure: rollback — its code (loaded only then), the known-good payload, its secrets registered
  // and its problems listed with the payload's.
  const rollbackCode = settings.onFailure === 'rollback' ? await import('./rollback.js') : undefined
  const known = await rollbackCode?.loadKnownGood(settings, env, { deadline, signal })
  for (const { key, value } of known ? provider.secrets(known.value) : []) secrets.addSetting(key, value)
  const found = checkBeforeSending(provider, settings, payload)
  if (rollbackCode) found.push(...rollbackCode.rollbackProblems(provider, settings, found, known))
  const { problems, skipped } = offlineDryRun(settings, found)
  if (problems.length > 0) throw new PayloadError(problems, payload.file)
  const rollback = rollbackCode && { module: rollbackCode, known: known?.value }
  return { provider, payload, units: provider.units(settings, payload.value), skipped, rollback }
}

/**
 * A payload that could not be loaded, with the input problems found without it: one PayloadError
 * listing them all (or the error as it was).
 */
function withInputProblems(inputProblems: LocatedProblem[], error: unknown): unknown {
  if (inputProblems.length === 0) return error
  if (error instanceof PayloadError) return new PayloadError([...inputProblems, ...error.problems], error.file)
  if (error instanceof InputError)
    return new PayloadError([...inputProblems, { path: [], input: error.input, message: error.message }])
  return error
}

/**
 * Connect once (Huawei: the IAM login), then give each unit a context with an ApiClient of its own
 * (kept in `clients`, to be disposed when the run ends), every client sharing the connection and
 * the credential state, so a refused credential is sent no more.
 */
async function connect(
  provider: Provider,
  { settings, deadline, log, clients }: { settings: Settings; deadline: Deadline; log: RunLog; clients: ApiClient[] },
  { signal, secrets, env, client: clientOptions }: DeployOptions,
): Promise<() => ProviderContext> {
  const base = {
    settings,
    deadline,
    signal,
    log,
    secret: (value: string) => secrets.add(value) ?? value,
    redact: (text: string) => secrets.redact(text),
  }
  /** A client on the run's path: its deadline, signal, retries, log, redaction, user agent and test clocks. */
  const clientOf = (baseUrl: URL, parseError: Connection['parseError'], more: Partial<ClientOptions> = {}) =>
    new ApiClient({
      baseUrl,
      deadline,
      signal,
      maxRetries: settings.maxRetries,
      log,
      parseError,
      redact: base.redact,
      userAgent: `deploy-patch (${env.GITHUB_REPOSITORY ?? 'local'})`,
      ...more,
      ...clientOptions,
    })
  const connection = await provider.connect({
    ...base,
    clientFor: (baseUrl, parseError) => clientOf(baseUrl, parseError),
  })
  const credential: CredentialState = {}
  const contextWith = (bound: Deadline): ProviderContext => {
    const more = { authorize: connection.authorize, credential, deadline: bound }
    const client = clientOf(connection.baseUrl, connection.parseError, more)
    clients.push(client)
    return { ...base, deadline: bound, client, withDeadline: contextWith }
  }
  return () => contextWith(deadline)
}
