/**
 * The JSON reader: jsonc-parser for positions, duplicate keys and the first syntax error's place,
 * JSON.parse for the value's exact semantics, then the checks a JSON number needs.
 */
import {
  parseTree,
  findNodeAtLocation,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser'
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
  type Checkpoint,
  type Payload,
  type PayloadObject,
} from './parsed.js'

/** Parse JSON text into a Payload; throws PayloadError naming the line of the first problem. */
export async function parseJson(text: string, file: string | undefined, checkpoint: Checkpoint): Promise<Payload> {
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
      return locateNearest(
        target,
        (prefix) => {
          const node = findNodeAtLocation(tree, prefix)
          return node && (node.parent?.type === 'property' ? node.parent.offset : node.offset)
        },
        at,
      )
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

/** jsonc-parser's error code in words: 'CloseBraceExpected' → 'close brace expected here'. */
function describeJsonError(code: string): string {
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.replace('symbol', 'character').replace('expected', 'expected here')
}

/** The first key that appears twice in one object, with its offset and path. */
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
