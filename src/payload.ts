/**
 * The payload: read (4 MB cap), parsed as JSON or YAML with the position of every value kept,
 * and `${NAME}` substituted after parsing, so a variable's value can never change the
 * document's structure. Problems carry the file's line so they can be annotated there.
 * This module is the entry: the file rules are in payload/file.ts, the two readers in
 * payload/json.ts and payload/yaml.ts, what they share in payload/parsed.ts, and the
 * substitution in payload/substitute.ts.
 */
import path from 'node:path'
import { PayloadError } from './errors.js'
import { MAX_PAYLOAD_BYTES, readPayloadFile, tooLarge } from './payload/file.js'
import { parseJson } from './payload/json.js'
import { checkpoints, locateProblem, type ParseControl, type Payload } from './payload/parsed.js'
import { substituteEnv } from './payload/substitute.js'
import { parseYaml } from './payload/yaml.js'

export { MAX_PAYLOAD_BYTES } from './payload/file.js'
export { MAX_NESTING, locateProblem, type ParseControl, type Payload, type PayloadObject } from './payload/parsed.js'
export { substituteEnv } from './payload/substitute.js'
export { MAX_YAML_ALIASES } from './payload/yaml.js'
export { yamlHint } from './payload/yaml-hints.js'

/** Where the payload comes from: a file in the workspace (or RUNNER_TEMP), or the inline input. */
export interface PayloadSource {
  payloadFile?: string
  payloadInline?: string
  workspace: string
  /** RUNNER_TEMP: the other directory a payload file may be in (earlier steps write generated payloads there). */
  runnerTemp?: string
  substituteEnv: boolean
}

/** Read, parse and (optionally) substitute the payload; throws PayloadError or InputError (or TimeoutError/CancelledError under `control`). */
export async function loadPayload(
  source: PayloadSource,
  env: NodeJS.ProcessEnv = process.env,
  control: ParseControl = {},
): Promise<Payload> {
  const { text, file } = source.payloadFile
    ? await readPayloadFile(source.payloadFile, source.workspace, source.runnerTemp)
    : { text: source.payloadInline ?? '', file: undefined }
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw tooLarge(file, Buffer.byteLength(text))
  const payload = await parsePayload(text, file, control)
  if (source.substituteEnv) substituteEnv(payload, env)
  return payload
}

/** Parse text as JSON or YAML: by the file's extension, else by its first character. */
export async function parsePayload(raw: string, file?: string, control: ParseControl = {}): Promise<Payload> {
  const checkpoint = checkpoints(control)
  await checkpoint(true)
  const text = raw.replace(/^\uFEFF/, '') // editors on Windows add a BOM; it is not content
  if (text.trim() === '')
    throw new PayloadError(
      [
        {
          path: [],
          file,
          message: 'the payload is empty. Put the fields to update in it, as a JSON object or YAML mapping.',
        },
      ],
      file,
    )
  const ext = file ? path.extname(file).toLowerCase() : ''
  const isJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[{[]/.test(text))
  const payload = isJson ? await parseJson(text, file, checkpoint) : await parseYaml(text, file, checkpoint)
  await checkpoint(true)
  if (payload.value === null || typeof payload.value !== 'object' || Array.isArray(payload.value)) {
    const kind = Array.isArray(payload.value) ? 'a list' : payload.value === null ? 'null' : `a ${typeof payload.value}`
    throw new PayloadError(
      [
        locateProblem(payload, {
          path: [],
          message: `the payload is ${kind}; expected an object (a JSON object or YAML mapping) of fields to update.`,
        }),
      ],
      file,
    )
  }
  return withoutSchemaKey(payload)
}

/**
 * JSON editors attach a schema to a document through a top-level `$schema` key (the URL of a JSON
 * Schema): it describes the file, not the update, so it is accepted here and never sent.
 */
function withoutSchemaKey(payload: Payload): Payload {
  if (!Object.hasOwn(payload.value, '$schema')) return payload
  const { $schema: schema, ...value } = payload.value
  if (typeof schema !== 'string')
    throw new PayloadError(
      [
        locateProblem(payload, {
          path: ['$schema'],
          message: `'$schema' names the JSON Schema an editor checks this file with, so it must be a string (a URL or a path), not ${schema === null ? 'null' : Array.isArray(schema) ? 'a list' : `a ${typeof schema}`}.`,
        }),
      ],
      payload.file,
    )
  return { ...payload, value }
}
