/**
 * Plain sentences for yaml's error codes: what to do, on which line, so a person fixes the file
 * without knowing the parser's words.
 */

/** Line `line` (1-based) of `text`. */
export function lineAt(text: string, line: number): string {
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
