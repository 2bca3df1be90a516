/**
 * `${NAME}` substitution, after parsing: a variable's value can never change the document's
 * structure, and every problem is reported with the line of its value.
 */
import { PayloadError, type LocatedProblem } from '../errors.js'
import { locateProblem, type Payload } from './parsed.js'

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
