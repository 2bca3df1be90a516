/**
 * The payload: read (4 MB cap), parsed as JSON or YAML with the position of every value kept,
 * and `${NAME}` substituted after parsing, so a variable's value can never change the
 * document's structure. Problems carry the file's line so they can be annotated there.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import {
  parseTree,
  findNodeAtLocation,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser'
import { cancelled, type Deadline } from './deadline.js'
import { InputError, PayloadError, type LocatedProblem, type Problem } from './errors.js'

/** The largest payload accepted, file or inline. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
/** YAML aliases allowed when building the value: enough for real reuse, far below an alias bomb. */
export const MAX_YAML_ALIASES = 100

export type PayloadObject = Record<string, unknown>

export interface Payload {
  value: PayloadObject
  format: 'json' | 'yaml'
  /** The file as the user named it (workspace-relative), for messages and annotations; unset for inline payloads. */
  file?: string
  /** The 1-based line and column of the value at `path`, or of its closest existing parent. */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined
}

export interface PayloadSource {
  payloadFile?: string
  payloadInline?: string
  workspace: string
  /** RUNNER_TEMP: the other directory a payload file may be in (earlier steps write generated payloads there). */
  runnerTemp?: string
  substituteEnv: boolean
}

/**
 * The step's deadline and cancellation while the payload is parsed: a large payload is parsed in
 * slices, and between slices (and between phases) an expired deadline or a signal ends the work.
 */
export interface ParseControl {
  deadline?: Deadline
  signal?: AbortSignal
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

/** Whether `inner` is `outer` or inside it (both absolute, already resolved). */
function isWithin(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner)
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
}

async function readPayloadFile(
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

function tooLarge(file: string | undefined, bytes: number): PayloadError {
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
  return payload
}

/** Longest stretch of parsing between two looks at the deadline and the runner's signals. */
const SLICE_MS = 50

/**
 * A checkpoint for CPU-bound parsing: at most every SLICE_MS (or always, when `now`), it yields
 * to the event loop, so a SIGINT/SIGTERM handler can run, then throws if the run was cancelled
 * or the step's deadline passed.
 */
function checkpoints(control: ParseControl): (now?: boolean) => Promise<void> {
  const { deadline, signal } = control
  let last = Date.now()
  return async (now = false) => {
    if (!deadline && !signal) return
    if (!now && Date.now() - last < SLICE_MS) return
    await new Promise((resolve) => setImmediate(resolve))
    last = Date.now()
    if (signal?.aborted) throw cancelled(signal)
    if (deadline?.expired()) throw deadline.error('reading the payload')
  }
}

/** Deeper than this is no real payload, and recursive parsers would run out of stack. */
export const MAX_NESTING = 256
/** How many YAML syntax errors are reported before the rest are summed up. */
const MAX_SHOWN_YAML_ERRORS = 10

async function parseJson(
  text: string,
  file: string | undefined,
  checkpoint: (now?: boolean) => Promise<void>,
): Promise<Payload> {
  const { max: depth, overAt } = jsonDepth(text)
  if (depth > MAX_NESTING)
    throw new PayloadError(
      [
        {
          path: [],
          file,
          line: positionOf(lineStarts(text), overAt ?? 0).line,
          message: `the payload nests objects and lists ${depth} levels deep; at most ${MAX_NESTING} are accepted.`,
        },
      ],
      file,
    )
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  // Between phases, a look at the deadline and the signal (each phase is linear in the text).
  await checkpoint(true)
  const lines = lineStarts(text)
  const at = (offset: number) => positionOf(lines, offset)
  if (errors.length > 0 || !tree) {
    const first = errors[0]
    const pos = first ? at(first.offset) : { line: 1, column: 1 }
    const what = first ? describeJsonError(printParseErrorCode(first.error)) : 'not valid JSON'
    throw new PayloadError([{ path: [], file, ...pos, message: `invalid JSON: ${what}.` }], file)
  }
  const duplicate = findDuplicateKey(tree)
  if (duplicate) {
    throw new PayloadError(
      [
        {
          path: duplicate.path,
          file,
          ...at(duplicate.offset),
          message: `the key '${duplicate.key}' appears twice in the same object; keep one.`,
        },
      ],
      file,
    )
  }
  await checkpoint(true)
  // JSON.parse gives exact JSON semantics for the value (and own "__proto__" keys); jsonc-parser gave the positions.
  const value = JSON.parse(text) as PayloadObject
  await checkpoint(true)
  const payload: Payload = {
    value,
    format: 'json',
    file,
    locate(target) {
      for (let n = target.length; n >= 0; n--) {
        const node = findNodeAtLocation(tree, target.slice(0, n) as (string | number)[])
        if (node) return at(node.parent?.type === 'property' ? node.parent.offset : node.offset)
      }
      return undefined
    },
  }
  // 1e400 parses as Infinity, which JSON.stringify would send as null.
  const nonJson = findNonJson(value)
  if (nonJson)
    throw new PayloadError(
      [
        locateProblem(payload, {
          path: nonJson.path,
          message: `${nonJson.what} cannot be sent as JSON; write a number within range, or a string.`,
        }),
      ],
      file,
    )
  const inexact: LocatedProblem[] = []
  const walk = (node: JsonNode, where: (string | number)[]) => {
    if (node.type === 'number') {
      const problem = inexactInteger(text.slice(node.offset, node.offset + node.length), node.value as number, where)
      if (problem) inexact.push({ ...problem, file, ...at(node.offset) })
    }
    for (const [index, child] of (node.children ?? []).entries()) {
      if (node.type === 'object' && child.children?.[1])
        walk(child.children[1], [...where, child.children[0]!.value as string])
      else if (node.type === 'array') walk(child, [...where, index])
    }
  }
  walk(tree, [])
  if (inexact.length > 0) throw new PayloadError(inexact, file)
  return payload
}

/**
 * An integer written beyond ±(2^53 − 1) cannot be held exactly by a JSON number as JavaScript
 * reads and writes it: 12345678901234567890 would go out as 12345678901234567000, another
 * number (an id, a size). Refused, with the advice to quote it, rather than sent changed.
 */
function inexactInteger(literal: string, value: number, at: (string | number)[]): Problem | undefined {
  if (
    !/^[-+]?(0x[0-9a-f]+|0o[0-7]+|\d+)$/i.test(literal.trim()) ||
    Number.isSafeInteger(value) ||
    !Number.isFinite(value)
  )
    return undefined
  return {
    path: at,
    message: `the integer ${literal.trim()} is beyond what a JSON number carries exactly (±${Number.MAX_SAFE_INTEGER}) and would be sent as ${JSON.stringify(value)}; write it as a string ("${literal.trim()}") if the API takes one, or a smaller number.`,
  }
}

function describeJsonError(code: string): string {
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.replace('symbol', 'character').replace('expected', 'expected here')
}

function findDuplicateKey(
  node: JsonNode,
  at: (string | number)[] = [],
): { key: string; offset: number; path: (string | number)[] } | undefined {
  if (node.type === 'object') {
    const seen = new Set<string>()
    for (const property of node.children ?? []) {
      const key = property.children?.[0]?.value as string
      if (seen.has(key)) return { key, offset: property.offset, path: [...at, key] }
      seen.add(key)
      const child = property.children?.[1]
      const found = child && findDuplicateKey(child, [...at, key])
      if (found) return found
    }
  } else if (node.type === 'array') {
    for (const [index, child] of (node.children ?? []).entries()) {
      const found = findDuplicateKey(child, [...at, index])
      if (found) return found
    }
  }
  return undefined
}

async function parseYaml(
  text: string,
  file: string | undefined,
  checkpoint: (now?: boolean) => Promise<void>,
): Promise<Payload> {
  // Loaded only for YAML payloads: a JSON payload never pays for the YAML parser.
  const { Composer, Lexer, Parser, LineCounter, isMap, isNode, isPair, isScalar, isSeq, isCollection, visit } =
    await import('yaml')
  const lineCounter = new LineCounter()
  const tooDeep = () =>
    new PayloadError(
      [
        {
          path: [],
          file,
          line: positionOf(lineStarts(text), jsonDepth(text).overAt ?? 0).line,
          message: `the payload nests objects and lists too deeply; at most ${MAX_NESTING} levels are accepted.`,
        },
      ],
      file,
    )
  let parsed: import('yaml').Document.Parsed | undefined
  // Problems found here rather than by yaml (a second document, duplicate keys), as yaml words them.
  const found: { pos: [number, number]; code: string; message: string }[] = []
  try {
    // yaml's parseDocument, taken apart: the text is lexed and parsed in slices with checkpoints
    // between them, so neither the deadline nor a signal waits for a multi-megabyte payload.
    // Duplicate keys are found below in linear time: yaml's own check (uniqueKeys) compares
    // each key with every key before it, quadratic in the keys of one mapping.
    const parser = new Parser(lineCounter.addNewLine)
    lineCounter.addNewLine(0)
    const tokens: import('yaml').CST.Token[] = []
    let count = 0
    for (const lexeme of new Lexer().lex(text, false)) {
      for (const token of parser.next(lexeme)) tokens.push(token)
      if (++count % 1024 === 0) await checkpoint()
    }
    for (const token of parser.end()) tokens.push(token)
    await checkpoint(true)
    for (const next of new Composer({ uniqueKeys: false, strict: true }).compose(tokens, true, text.length)) {
      if (!parsed) parsed = next
      else {
        found.push({
          pos: [next.range[0], next.range[1]],
          code: 'MULTIPLE_DOCS',
          message: 'Source contains multiple documents; please use YAML.parseAllDocuments()',
        })
        break
      }
    }
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep() // the parser recursed past the stack
    throw error
  }
  if (!parsed)
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
  const doc = parsed
  await checkpoint(true)
  // Every key seen twice in one mapping (scalar keys equal by value, as yaml's uniqueKeys compares them), one Set per mapping.
  const pending: unknown[] = [doc.contents]
  while (pending.length > 0) {
    const node = pending.pop()
    if (isMap(node)) {
      const seen = new Set<unknown>()
      for (const pair of node.items) {
        const key = pair.key
        if (isScalar(key) && !(typeof key.value === 'number' && Number.isNaN(key.value))) {
          if (seen.has(key.value))
            found.push({
              pos: [key.range?.[0] ?? -1, key.range?.[1] ?? -1],
              code: 'DUPLICATE_KEY',
              message: 'Map keys must be unique',
            })
          else seen.add(key.value)
        }
        pending.push(pair.key, pair.value)
      }
    } else if (isSeq(node)) pending.push(...node.items)
    else if (isPair(node)) pending.push(node.key, node.value)
  }
  const errors = found.length > 0 ? [...doc.errors, ...found].sort((a, b) => a.pos[0] - b.pos[0]) : doc.errors
  const issues = [...errors, ...doc.warnings]
  if (issues.length > 0) {
    if (issues.some((issue) => /call stack/i.test(issue.message))) throw tooDeep()
    // One broken bracket can cascade into hundreds of errors: the first few say what to fix.
    const shown = issues.slice(0, MAX_SHOWN_YAML_ERRORS).map((issue): LocatedProblem => {
      const at = issue.pos[0] >= 0 ? lineCounter.linePos(issue.pos[0]) : undefined
      const hint = yamlHint(issue.code, at?.line, at ? lineAt(text, at.line) : '')
      return {
        path: [],
        file,
        line: at?.line,
        column: at?.col,
        message: `invalid YAML: ${issue.message.split('\n')[0]}.${hint ? ` ${hint}` : ''}`,
      }
    })
    if (issues.length > shown.length)
      shown.push({
        path: [],
        file,
        message: `${issues.length - shown.length} more YAML errors follow from these; fix these first.`,
      })
    throw new PayloadError(shown, file)
  }
  // Keys must be plain scalars: a list or mapping as a key would be sent as made-up text.
  const structural: LocatedProblem[] = []
  const position = (offset: number | undefined) => {
    if (offset === undefined) return {}
    const pos = lineCounter.linePos(offset)
    return { line: pos.line, column: pos.col }
  }
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key))
        structural.push({
          path: [],
          file,
          ...position(pair.key.range?.[0]),
          message: 'a list or mapping is used as a key; keys must be plain names.',
        })
    },
    Scalar(key, scalar, ancestors) {
      if (typeof scalar.value !== 'number' || !scalar.range) return
      // A number used as a key becomes text through the same lossy number: the problem is its mapping's.
      const where = key === 'key' ? yamlPath(ancestors.slice(0, -2), ancestors.at(-2)) : yamlPath(ancestors, scalar)
      const problem = inexactInteger(text.slice(scalar.range[0], scalar.range[1]), scalar.value, where)
      if (problem)
        structural.push({
          ...problem,
          ...(key === 'key' ? { message: `a key: ${problem.message}` } : {}),
          file,
          ...position(scalar.range[0]),
        })
    },
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined)
        structural.push({
          path: [],
          file,
          ...position(alias.range?.[0]),
          message: `the alias *${alias.source} refers to no anchor &${alias.source} before it; define the anchor first, or write the value out.`,
        })
    },
  })
  if (structural.length > 0) throw new PayloadError(structural, file)
  await checkpoint(true)
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES })
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw tooDeep()
    throw new PayloadError(
      [
        {
          path: [],
          file,
          message: `the YAML expands too far through aliases (more than ${MAX_YAML_ALIASES}); write the values out. (${(error as Error).message})`,
        },
      ],
      file,
    )
  }
  await checkpoint(true)
  if (valueDepth(value) > MAX_NESTING) throw tooDeep()
  const nonJson = findNonJson(value)
  const payload: Payload = {
    value: value as PayloadObject,
    format: 'yaml',
    file,
    locate(target) {
      for (let n = target.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(target.slice(0, n), true)
        if (isNode(node) && node.range) {
          // For a mapping entry, point at its key: that is the line a person looks for.
          const parent = n > 0 ? (n === 1 ? doc.contents : doc.getIn(target.slice(0, n - 1), true)) : undefined
          const pair =
            parent && 'items' in (parent as object)
              ? ((parent as { items: unknown[] }).items.find((item) => isPair(item) && item.value === node) as
                  { key?: { range?: number[] } } | undefined)
              : undefined
          const offset = pair?.key?.range?.[0] ?? node.range[0]
          const pos = lineCounter.linePos(offset)
          return { line: pos.line, column: pos.col }
        }
      }
      return undefined
    },
  }
  if (nonJson)
    throw new PayloadError(
      [
        locateProblem(payload, {
          path: nonJson.path,
          message: `${nonJson.what} cannot be sent as JSON; write it as a string, number, boolean, list or mapping.`,
        }),
      ],
      file,
    )
  return payload
}

/** Line `line` (1-based) of `text`. */
function lineAt(text: string, line: number): string {
  let start = 0
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', start)
    if (next < 0) return ''
    start = next + 1
  }
  const end = text.indexOf('\n', start)
  return text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '')
}

/** `key: text: more` — a value holding ': ', which YAML reads as a second, nested key. */
const VALUE_WITH_COLON = /^\s*(?:-\s+)?[^\s#'"{[][^:#]*:\s+[^\s'"{[|>#][^#]*?:(?:\s|$)/

/** `key: a: b` written as `key: "a: b"`, when short and simple enough to show; else a made-up example. */
function quotedExample(lineText: string): string {
  const match = /^\s*(?:-\s+)?([^:]+):\s+(.*?)\s*$/.exec(lineText)
  if (!match || match[2]!.includes('"') || match[2]!.includes('\\') || match[0].length > 80)
    return 'title: "Release: v1"'
  return `${match[1]!.trim()}: "${match[2]}"`
}

/**
 * A plain sentence for each of yaml's error codes (YAMLError.code), so parser words such as
 * "Nested mappings are not allowed in compact mappings" come with what to do, on which line.
 * Every code yaml declares has one (a unit test reads them from yaml's types).
 */
export function yamlHint(code: string, line: number | undefined, lineText = ''): string {
  const on = line ? `on line ${line}` : 'in the file'
  const hints: Record<string, string> = {
    BAD_INDENT: `Check the indentation ${on}: the keys of one mapping (and the items of one list) start in the same column, a nested mapping or list is indented further, with spaces; a [ or { must be closed.`,
    BLOCK_AS_IMPLICIT_KEY: VALUE_WITH_COLON.test(lineText)
      ? `The value ${on} holds ': ', which YAML reads as another key: quote the value, such as ${quotedExample(lineText)}.`
      : `Check the indentation ${on} and the line after it: a nested mapping goes on its own lines, indented under its key; quote a value that holds ': '.`,
    MULTILINE_IMPLICIT_KEY: `Check ${on}: each key is followed by ': ' (a colon and a space) on its own line, and a line that continues a value is indented further than its key.`,
    TAB_AS_INDENT: `Line ${line ?? '?'} is indented with a tab; YAML is indented with spaces only.`,
    DUPLICATE_KEY: `The key ${on} is already set above in the same mapping; keep one of them.`,
    MULTIPLE_DOCS: `The file holds more than one YAML document (a '---' line ${on}); keep one document.`,
    MISSING_CHAR: `A closing quote or bracket is missing, or a key has no ': ' after it: check ${on} and the lines just above it.`,
    BAD_DQ_ESCAPE: `In double quotes a backslash starts an escape (\\n, \\t): ${on} write \\\\ for a backslash, or use single quotes.`,
    BAD_SCALAR_START: `Quote the value ${on}: a value that starts with @ or \` (or with - ? : , [ ] { } # & * ! | > ' " % followed by text) needs quotes.`,
    UNEXPECTED_TOKEN: `Check ${on} for text after a closing quote or bracket, or a list item where a key: value was expected; quote a value that starts with a special character.`,
    BLOCK_IN_FLOW: `Inside [ ] or { } (${on}) write the items on one line with commas, as in JSON, not as indented '- ' or 'key:' lines.`,
    BAD_ALIAS: `The alias (*name) ${on} must name an anchor (&name) set before it; write the value out, or quote a value that starts with *.`,
    ALIAS_PROPS: `An alias (*name) ${on} cannot have its own &anchor or !tag; remove them, or quote a value that starts with * & or !.`,
    MULTIPLE_ANCHORS: `A value ${on} has two &anchors; keep one, or quote a value that starts with &.`,
    MULTIPLE_TAGS: `A value ${on} has two !tags; keep one, or quote a value that starts with !.`,
    BAD_PROP_ORDER: `The &anchor and !tag ${on} go before the value; or quote a value that starts with & or !.`,
    TAG_RESOLVE_FAILED: `The !tag ${on} does not fit its value; remove the tag, or quote a value that starts with !.`,
    BAD_COLLECTION_TYPE: `The !tag ${on} does not fit a list or mapping; remove the tag.`,
    BAD_DIRECTIVE: `A line starting with % (${on}) is read as a YAML directive; quote a value that starts with %, or remove the line.`,
    KEY_OVER_1024_CHARS: `The key ${on} is over 1024 characters: usually a missing ': ' or a broken indentation above it; quote a long key.`,
    NON_STRING_KEY: `Keys must be plain names (${on}), not lists or mappings.`,
    RESOURCE_EXHAUSTION: `The YAML is too large or too deeply nested to read (${on}); write it more simply.`,
    IMPOSSIBLE: `Check the YAML ${on}; the parser could not read it (please report this with the file).`,
  }
  return hints[code] ?? `Check the YAML ${on}.`
}

/** The JSON path of a YAML node from the ancestors `visit` gives (a key is located at its pair). */
function yamlPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const where: (string | number)[] = []
  const chain = [...ancestors, node]
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i] as { items?: unknown[]; key?: unknown }
    const child = chain[i + 1]
    if (!Array.isArray(parent.items)) continue
    const item = parent.items.find((entry) => entry === child) as { key?: { value?: unknown } } | undefined
    if (item && 'key' in item && item.key && typeof item.key === 'object')
      where.push(String((item.key as { value?: unknown }).value))
    else if (item !== undefined) where.push(parent.items.indexOf(item))
  }
  return where
}

function findNonJson(
  value: unknown,
  at: (string | number)[] = [],
): { path: (string | number)[]; what: string } | undefined {
  if (value === null || ['string', 'boolean'].includes(typeof value)) return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: at, what: `the number ${value}` }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNonJson(item, [...at, i])
      if (found) return found
    }
    return undefined
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value as object)) {
      const found = findNonJson(item, [...at, key])
      if (found) return found
    }
    return undefined
  }
  return { path: at, what: `a value of type ${(value as object).constructor?.name ?? typeof value}` }
}

/** Attach the payload's file, line and column to a problem found in its value. */
export function locateProblem(payload: Pick<Payload, 'file' | 'locate'>, problem: Problem): LocatedProblem {
  return { ...problem, file: payload.file, ...(payload.locate(problem.path) ?? {}) }
}

const VARIABLE = /\$\$\{|\$\{([^}]*)(\}?)/g

/**
 * Replace `${NAME}` in string values from `env`, in place; `$${` writes a literal `${`.
 * Every unset or malformed reference is reported at once, each with its line.
 */
export function substituteEnv(payload: Payload, env: NodeJS.ProcessEnv): void {
  const problems: LocatedProblem[] = []
  const visit = (value: unknown, at: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return value
      return value.replace(VARIABLE, (match, name: string | undefined, close: string) => {
        if (match === '$${') return '${'
        if (!close || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name ?? '')) {
          problems.push(
            locateProblem(payload, {
              path: at,
              message: `'${match}' is not a variable reference; write \${NAME} with a letter, digit or _ name, or $\${ for a literal \${.`,
            }),
          )
          return match
        }
        const replacement = env[name!]
        if (replacement === undefined) {
          problems.push(
            locateProblem(payload, {
              path: at,
              message: `the environment variable ${name} is not set; set it in the step's env, or write $\${${name}} for a literal \${${name}}.`,
            }),
          )
          return match
        }
        return replacement
      })
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...at, i]))
    if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>
      for (const key of Object.keys(object)) {
        const next = visit(object[key], [...at, key])
        // defineProperty, not assignment: a JSON key "__proto__" must stay a plain own property.
        if (next !== object[key])
          Object.defineProperty(object, key, { value: next, writable: true, enumerable: true, configurable: true })
      }
    }
    return value
  }
  visit(payload.value, [])
  if (problems.length > 0) throw new PayloadError(problems, payload.file)
}

/** How deeply a parsed value nests objects and lists. */
function valueDepth(value: unknown, depth = 0): number {
  if (depth > MAX_NESTING) return depth
  if (Array.isArray(value))
    return value.reduce<number>((max, item) => Math.max(max, valueDepth(item, depth + 1)), depth + 1)
  if (value && typeof value === 'object')
    return Object.values(value).reduce<number>((max, item) => Math.max(max, valueDepth(item, depth + 1)), depth + 1)
  return depth
}

/** The deepest bracket nesting of a JSON (or flow-style YAML) text, strings skipped, and where it first passes MAX_NESTING. */
function jsonDepth(text: string): { max: number; overAt?: number } {
  let depth = 0
  let max = 0
  let overAt: number | undefined
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
    } else if (c === '"') quote = c
    else if (c === '{' || c === '[') {
      max = Math.max(max, ++depth)
      if (depth > MAX_NESTING && overAt === undefined) overAt = i
    } else if (c === '}' || c === ']') depth--
  }
  return { max, overAt }
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

function positionOf(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 }
}
