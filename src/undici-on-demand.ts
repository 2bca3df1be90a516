/**
 * What dist/ gets when a dependency imports `undici`: tsconfig.json maps the name to this file
 * and ncc resolves through that mapping. Tests and `npm run local` run src/ on Node, where the
 * mapping does not apply and dependencies get the real package; only our own calls come here.
 *
 * Why: @actions/core imports @actions/http-client (for OIDC), and http-client imports undici at
 * its top for ProxyAgent, which only its fetch dispatcher uses. deploy-patch's requests go over
 * node:http through http-client's request path and never touch undici, yet every start paid for
 * undici: compiling ~440 KB and running its module body, about 35 ms of a 125 ms Qoder update
 * (`npm run bench`). Here undici is a chunk of its own, loaded when it is first needed: by
 * Octokit's fetch, which only runs that record a GitHub deployment make.
 *
 * The exports are the names our bundled dependencies import from undici (a unit test keeps the
 * list complete). ProxyAgent is synchronous, so it needs the chunk loaded first: loadUndici()
 * before building the GitHub client does that.
 */
/** The part of undici our dependencies use. */
type Undici = Pick<typeof import('undici/index.js'), 'ProxyAgent' | 'fetch'>

let undici: Undici | undefined

/** Load undici's chunk (once); anything that may build a ProxyAgent awaits this first. */
export async function loadUndici(): Promise<Undici> {
  undici ??= await import('undici/index.js')
  return undici
}

/**
 * undici's ProxyAgent: `new ProxyAgent(options)` returns the agent undici's own class built
 * (a constructor that returns an object yields that object).
 */
export function ProxyAgent(...args: ConstructorParameters<Undici['ProxyAgent']>): InstanceType<Undici['ProxyAgent']> {
  if (!undici)
    throw new Error('undici is not loaded yet: await loadUndici() before anything that may build a proxy agent.')
  return new undici.ProxyAgent(...args)
}

/** undici's fetch, loading undici on its first call. */
export async function fetch(...args: Parameters<Undici['fetch']>): ReturnType<Undici['fetch']> {
  return (await loadUndici()).fetch(...args)
}
