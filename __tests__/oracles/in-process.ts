/**
 * Runs the action's work in process (src/deploy.ts, the run src/main.ts runs) with the given inputs,
 * over real HTTP, so an oracle test can read the requests a server recorded. Small clocks: a 50 ms
 * poll interval and no retry jitter; the log is kept for the failure message.
 */
import { deploy } from '../../src/deploy.js'
import { recordingLog } from '../helpers/recording-log.ts'
import type { Outcome } from '../../src/outcome.js'
import { Secrets } from '../../src/secrets.js'

export interface InProcessRun {
  outcomes: Outcome[]
  /** Input problems and the run's error, if any (empty on a clean run). */
  problems: string[]
  log: string[]
}

/** Runs deploy() once with `inputs` (action input names) and `env`; waits for the GitHub record too. */
export async function runInProcess(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<InProcessRun> {
  const lines: string[] = []
  const log = recordingLog(lines)
  const run = await deploy({
    readInput: (name) => inputs[name] ?? '',
    env: { GITHUB_WORKSPACE: process.cwd(), RUNNER_TEMP: process.cwd(), ...env },
    secrets: new Secrets(() => {}),
    signal: new AbortController().signal,
    log: () => log,
    settings: { pollIntervalMs: 50 },
    client: { requestTimeoutMs: 5_000, random: () => 0 },
  })
  await run.recorded
  const { problems, error, outcomes } = run.report
  return {
    outcomes,
    problems: [...problems.map((p) => p.message), ...(error ? [error.message] : [])],
    log: lines,
  }
}
