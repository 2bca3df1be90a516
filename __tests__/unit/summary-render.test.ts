/**
 * The job summary and the plan comment as a reader sees them: the Markdown rendered to HTML by
 * marked (GitHub-flavoured) and read back. Whatever text a server or a payload puts in an error
 * message, a field path or a value, the rendered page has no link, image or HTML element that the
 * renderer did not write itself, and each value reads exactly as its JSON.
 */
import fc from 'fast-check'
import { Marked } from 'marked'
import { describe, expect, it } from 'vitest'
import type { Outcome, RunReport } from '../../src/outcome.ts'
import { renderSummary } from '../../src/summary.ts'

function report(outcome: Partial<Outcome>): RunReport {
  return {
    provider: 'qoder',
    outcomes: [
      {
        target: 'dep_01',
        status: 'failed',
        changed: true,
        changes: [],
        notes: [],
        durationMs: 1000,
        ...outcome,
      },
    ],
    problems: [],
    dryRun: false,
    durationMs: 1000,
  }
}

/** The elements of the rendered HTML, by tag name. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase())
}

/** What a reader sees in a cell: entities decoded, tags dropped. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

/**
 * GitHub-flavoured Markdown as marked renders it, without GFM's bare-address autolinks: GitHub
 * links a bare https://… as itself, which hides nothing, and marked, unlike GitHub, keeps the
 * escapes inside such a link, which would blur the check of what a value reads as.
 */
const markdown = new Marked({ gfm: true, async: false, tokenizer: { url: () => undefined } })
const render = (md: string): string => markdown.parse(md) as string

/** The elements the summary itself writes; anything else came from the text. */
const OWN = new Set([
  'h3',
  'p',
  'sub',
  'em',
  'hr',
  'pre',
  'details',
  'summary',
  'strong',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'code',
  'blockquote',
  'h4',
])

// Text built from the pieces of Markdown and HTML that could turn into something else.
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '[Sign in](https://evil.example/login)',
        '![x](https://evil.example/p.png)',
        '<img src=x onerror=alert(1)>',
        '<a href="https://evil.example">',
        '[a]: https://evil.example',
        '\\',
        '\\[',
        '](',
        '|',
        '`',
        '**',
        '<',
        '&amp;',
        '@octo-org/team',
        '\n',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''))

describe('the summary, rendered', () => {
  it('server text in an error message, a path or a value is never a link, an image or HTML, and a value reads as its JSON', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (message, path, value) => {
        const md = renderSummary(
          report({
            error: { type: 'http-400', message: message.split('\n')[0] || 'x' },
            changes: [{ path: path.replace(/\n/g, ' ') || 'p', segments: [], before: value, after: 1 }],
          }),
        )
        const html = render(md)
        for (const tag of tags(html)) expect(OWN, `<${tag}> in ${md}`).toContain(tag)
        // The last table is Field | Before | After, with one row.
        const changed = [...html.matchAll(/<table>[\s\S]*?<\/table>/g)].at(-1)?.[0] ?? ''
        expect(changed, html).toContain('<th>Field</th>')
        const cells = [...changed.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => textOf(m[1]!))
        expect(cells).toHaveLength(3)
        const shown = JSON.stringify(value)
        expect(cells[1]).toBe([...shown].length > 80 ? `${[...shown].slice(0, 77).join('')}…` : shown)
      }),
      { seed: 1503, numRuns: 300 },
    )
  })

  it('a message shaped as a link shows its words and its address, and links nowhere', () => {
    const md = renderSummary(
      report({ error: { type: 'http-400', message: 'Denied. [Sign in](https://evil.example/x)' } }),
    )
    const html = render(md)
    expect(html).not.toContain('<a ')
    expect(textOf(html)).toContain('[Sign in](https://evil.example/x)')
  })
})
