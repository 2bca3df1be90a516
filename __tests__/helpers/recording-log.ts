/** The run's log for an in-process deploy(): every line kept, as written (unredacted), in `lines`. */
import type { RunLog } from '../../src/deploy.js'

/** A RunLog that pushes `info: …`, `warning: …`, `debug: …` and `group: <title>` lines onto `lines`. */
export function recordingLog(lines: string[]): RunLog {
  return {
    info: (message) => void lines.push(`info: ${message}`),
    warning: (message) => void lines.push(`warning: ${message}`),
    debug: (message) => void lines.push(`debug: ${message}`),
    group: (title, work) => {
      lines.push(`group: ${title}`)
      return work()
    },
  }
}
