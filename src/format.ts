/** How durations are written in messages, logs and the summary: one form everywhere. */

/** 1500 → '1.5s', 600000 → '10m'. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${ms}ms`
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Math.round(ms / 100) / 10}s`
  if (ms < 3_600_000 || ms % 3_600_000 !== 0) return `${ms / 60_000}m`
  return `${ms / 3_600_000}h`
}
