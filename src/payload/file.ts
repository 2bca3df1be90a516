/**
 * The payload file: only in the workspace or RUNNER_TEMP (symbolic links followed), at most
 * MAX_PAYLOAD_BYTES, and UTF-8 text, each refusal saying what to do.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { InputError, PayloadError } from '../errors.js'

/** The largest payload accepted, file or inline. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024

/** Whether `inner` is `outer` or inside it (both absolute, already resolved). */
function isWithin(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner)
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
}

/** The file's text and its name as the user wrote it (workspace-relative); throws InputError or PayloadError. */
export async function readPayloadFile(
  name: string,
  workspace: string,
  runnerTemp?: string,
): Promise<{ text: string; file: string }> {
  const absolute = path.resolve(workspace, name)
  const relative = path.relative(workspace, absolute)
  const file = relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative
  let size: number
  let real: string
  try {
    // Symlinks resolved on both sides: a link in the repository that leads out of it is outside.
    real = await realpath(absolute)
    const info = await stat(real)
    if (!info.isFile())
      throw new InputError(
        'payload-file',
        `Input 'payload-file': '${name}' is not a file. Name a JSON or YAML file in the repository.`,
      )
    size = info.size
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError(
      'payload-file',
      `Input 'payload-file': '${name}' was not found in the workspace. Check the path, and that actions/checkout ran before this step.`,
    )
  }
  const allowed = await Promise.all(
    [workspace, runnerTemp]
      .filter((dir): dir is string => !!dir)
      .map((dir) => realpath(path.resolve(dir)).catch(() => undefined)),
  )
  if (!allowed.some((dir) => dir !== undefined && isWithin(dir, real))) {
    throw new InputError(
      'payload-file',
      `Input 'payload-file': '${name}' is outside the workspace${real !== absolute ? ' (after following symbolic links)' : ''}; only files in GITHUB_WORKSPACE or RUNNER_TEMP are read. Name a file in the repository, or have an earlier step write it to RUNNER_TEMP.`,
    )
  }
  if (size > MAX_PAYLOAD_BYTES) throw tooLarge(file, size)
  const bytes = await readFile(real)
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), file }
  } catch {
    // Name the line of the first byte that is not UTF-8, rather than send a replacement character.
    const lenient = new TextDecoder('utf-8').decode(bytes)
    const line = lenient.slice(0, lenient.indexOf('\uFFFD')).split('\n').length
    throw new PayloadError(
      [
        {
          path: [],
          file,
          line,
          message: 'the file is not UTF-8 text (a byte on this line is not valid UTF-8); save it as UTF-8.',
        },
      ],
      file,
    )
  }
}

/** The refusal of a payload over MAX_PAYLOAD_BYTES. */
export function tooLarge(file: string | undefined, bytes: number): PayloadError {
  return new PayloadError(
    [
      {
        path: [],
        file,
        message: `the payload is ${(bytes / 1048576).toFixed(1)} MB; at most 4 MB is accepted. Send less in one update.`,
      },
    ],
    file,
  )
}
