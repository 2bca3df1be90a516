/** Entry point, as the runner starts it: run the action, then let the process end. */
import { run } from './main.js'

await run()
// Every socket and timer is released by now; this only guards against a stray handle keeping
// the step alive after its work is reported (unref'd, so it never delays a clean exit).
setTimeout(() => process.exit(), 1_000).unref()
