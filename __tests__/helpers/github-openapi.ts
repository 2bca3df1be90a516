/**
 * GitHub's own description of its REST API (@octokit/openapi, api.github.com, dereferenced) as a
 * test oracle for the request bodies the action sends: `requestBodySchema(method, pathTemplate)`
 * gives an ajv validator of that operation's `application/json` request body.
 *
 * The description is 70 MB: it is read once per test file (per worker), on the first call, and only
 * the schemas asked for are compiled. Objects are closed (`additionalProperties: false`) wherever
 * the description lists properties and says nothing about others: GitHub ignores an unknown field
 * silently, so a misspelt or invented field is exactly the drift this oracle must catch.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> }
}
interface Description {
  paths: Record<string, Record<string, Operation | undefined> | undefined>
}

let description: Description | undefined
const validators = new Map<string, ValidateFunction>()
// OpenAPI 3.0 keywords (`example`, `x-github`, …) are not JSON Schema: strict mode off; `nullable` is
// understood by ajv itself. Formats are not checked (GitHub's `uri` and `date-time` need ajv-formats).
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })

/** api.github.com's dereferenced OpenAPI description, parsed once. */
function githubDescription(): Description {
  if (!description) {
    const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.deref.json')
    description = JSON.parse(readFileSync(file, 'utf8')) as Description
  }
  return description
}

/** A copy of `schema` with every object that lists `properties` (and says nothing of others) closed. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed)
  if (schema === null || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) out[key] = closed(value)
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false
  return out
}

/**
 * The validator of the JSON request body of `method pathTemplate` in GitHub's REST description
 * (e.g. `requestBodySchema('POST', '/repos/{owner}/{repo}/deployments')`); throws if there is none.
 */
export function requestBodySchema(method: string, pathTemplate: string): ValidateFunction {
  const key = `${method.toUpperCase()} ${pathTemplate}`
  const known = validators.get(key)
  if (known) return known
  const operation = githubDescription().paths[pathTemplate]?.[method.toLowerCase()]
  if (!operation) throw new Error(`GitHub's REST description has no operation ${key}`)
  const schema = operation.requestBody?.content?.['application/json']?.schema
  if (!schema) throw new Error(`${key} takes no application/json request body in GitHub's REST description`)
  const validate = ajv.compile(closed(schema) as object)
  validators.set(key, validate)
  return validate
}

/** ajv's errors in one line each (`/field must be string`), for an assertion's message. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  )
}
