/**
 * The YAML reader: yaml's lexer, parser and composer run in slices (so the deadline and a signal
 * are never kept waiting), duplicate keys found in linear time, errors with their line and a
 * plain hint (yaml-hints.ts), then the checks of the value: keys, inexact integers, aliases, depth.
 */
import { PayloadError, type LocatedProblem } from '../errors.js'
import {
  findNonJson,
  inexactInteger,
  jsonDepth,
  lineStarts,
  locateNearest,
  locateProblem,
  MAX_NESTING,
  positionOf,
  valueDepth,
  type Checkpoint,
  type Payload,
  type PayloadObject,
} from './parsed.js'
import { lineAt, yamlHint } from './yaml-hints.js'

/** YAML aliases allowed when building the value: enough for real reuse, far below an alias bomb. */
export const MAX_YAML_ALIASES = 100
/** How many YAML syntax errors are reported before the rest are summed up. */
const MAX_SHOWN_YAML_ERRORS = 10

/** Parse YAML text (one document) into a Payload; throws PayloadError listing the first problems, each on its line. */
export async function parseYaml(text: string, file: string | undefined, checkpoint: Checkpoint): Promise<Payload> {
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
      return locateNearest(
        target,
        (prefix) => {
          const n = prefix.length
          const node = n === 0 ? doc.contents : doc.getIn(prefix, true)
          if (!isNode(node) || !node.range) return undefined
          // For a mapping entry, point at its key: that is the line a person looks for.
          const parent = n > 0 ? (n === 1 ? doc.contents : doc.getIn(prefix.slice(0, n - 1), true)) : undefined
          const pair =
            typeof parent === 'object' && parent !== null && 'items' in parent
              ? ((parent as { items: unknown[] }).items.find((item) => isPair(item) && item.value === node) as
                  { key?: { range?: number[] } } | undefined)
              : undefined
          return pair?.key?.range?.[0] ?? node.range[0]
        },
        (offset) => {
          const pos = lineCounter.linePos(offset)
          return { line: pos.line, column: pos.col }
        },
      )
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

/** The JSON path of a YAML node from the ancestors `visit` gives (a key is located at its pair). */
function yamlPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const where: (string | number)[] = []
  const chain = [...ancestors, node]
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i] as { items?: unknown[]; key?: unknown }
    const child = chain[i + 1]
    if (!Array.isArray(parent.items)) continue
    const item = parent.items.find((entry) => entry === child) as { key?: { value?: unknown } } | undefined
    if (item && 'key' in item && item.key && typeof item.key === 'object') where.push(String(item.key.value))
    else if (item !== undefined) where.push(parent.items.indexOf(item))
  }
  return where
}
