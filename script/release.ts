/**
 * `script/release VERSION [--dry-run] [--push]`: tag a release of the action.
 *
 * A release is a commit that is already on the default branch and already says what it is:
 * package.json (and package-lock.json) carry VERSION, CHANGELOG.md has a `## [VERSION]` section
 * and dist/ is the bundle of that commit. This script never edits or commits anything; it checks
 * all of that, rebuilds dist/ and runs the tests, then creates the annotated tag `vX.Y.Z` (its
 * message is the changelog section) and moves the major tag `vX` (annotated, forced) to the same
 * commit, so users pinned to `@vX` get the release. It prints the one `git push` to run, or runs
 * it with --push. --dry-run does every check, the bundle and the tests, and only prints the tags
 * it would create.
 *
 * A prerelease (`1.3.0-rc.1`) gets its own tag but never moves the major tag.
 *
 * The repository is the one containing the current directory. Environment:
 *   RELEASE_BUNDLE_CMD      how to rebuild dist/ (default `npm run bundle`), run by the shell
 *   RELEASE_TEST_CMD        how to run the tests (default `npm test`), run by the shell
 *   RELEASE_DEFAULT_BRANCH  the branch releases are made from (default: origin's HEAD, else main
 *                           or master, whichever exists)
 *   RELEASE_REMOTE          the remote to compare tags with and push to (default `origin`)
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { textOf } from '../src/text.ts'

const USAGE = `Usage: script/release VERSION [--dry-run] [--push]

  VERSION    the new version, semver without build metadata: 1.2.0, 1.3.0-rc.1 (a leading v is allowed)
  --dry-run  do every check, the bundle and the tests; create no tag and push nothing
  --push     push the branch and the tags after tagging (default: print the command)

Before running it, commit on the default branch: package.json's version set to VERSION
(npm version VERSION --no-git-tag-version), a "## [VERSION] - YYYY-MM-DD" section in CHANGELOG.md,
and the rebuilt dist/ (npm run bundle).`

/** A failed check: printed as one sentence, exit code 1. */
class ReleaseError extends Error {}
/** A bad command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Options {
  version: string
  dryRun: boolean
  push: boolean
}

export interface SemVer {
  major: number
  minor: number
  patch: number
  prerelease: string[]
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/** Parses `1.2.3` or `1.2.3-rc.1` (semver 2.0.0); undefined when it is not one. Build metadata is kept out of tags. */
export function parseVersion(text: string): SemVer | undefined {
  const match = SEMVER.exec(text)
  if (!match || match[5] !== undefined) return undefined
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4]?.split('.') ?? [],
  }
}

export function formatVersion(version: SemVer): string {
  const core = `${version.major}.${version.minor}.${version.patch}`
  return version.prerelease.length > 0 ? `${core}-${version.prerelease.join('.')}` : core
}

/** Semver precedence: negative when a < b. */
export function compareVersions(a: SemVer, b: SemVer): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] - b[key]
  }
  // A version without a prerelease ranks above any of its prereleases.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i]!
    const y = b.prerelease[i]!
    if (x === y) continue
    const xNumeric = /^\d+$/.test(x)
    const yNumeric = /^\d+$/.test(y)
    if (xNumeric && yNumeric) return Number(x) - Number(y)
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.prerelease.length - b.prerelease.length
}

/** The body of CHANGELOG.md's `## [VERSION]` section (link definitions left out), or undefined when there is none. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.replace(/\r\n?/g, '\n').split('\n')
  const escaped = version.replace(/[.+]/g, '\\$&')
  const heading = new RegExp(`^##\\s+\\[?v?${escaped}\\]?(?:\\s|$)`)
  const start = lines.findIndex((line) => heading.test(line))
  if (start === -1) return undefined
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((line) => /^##\s/.test(line))
  const body = (end === -1 ? rest : rest.slice(0, end)).filter((line) => !/^\[[^\]]+\]:\s/.test(line))
  return body.join('\n').trim()
}

function parseArgs(argv: string[]): Options | 'help' {
  let version: string | undefined
  let dryRun = false
  let push = false
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') return 'help'
    else if (arg === '--dry-run') dryRun = true
    else if (arg === '--push') push = true
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`)
    else if (version === undefined) version = arg
    else throw new UsageError(`one VERSION only (got ${version} and ${arg})`)
  }
  if (version === undefined) throw new UsageError('VERSION is missing')
  return { version, dryRun, push }
}

/** Runs git in the repository: its stdout (trailing whitespace removed), or a ReleaseError with git's own message. */
function git(
  root: string,
  args: string[],
  options: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {},
): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs,
  })
  const ok = result.status === 0
  if (!ok && !options.allowFailure) {
    const why = result.error?.message ?? (result.stderr.trim() || `exit code ${result.status}`)
    throw new ReleaseError(`git ${args.join(' ')} failed: ${why}`)
  }
  return { ok, stdout: (result.stdout ?? '').trimEnd(), stderr: (result.stderr ?? '').trim() }
}

/** Runs a configured command through the shell, its output shown as it comes. */
function shell(root: string, command: string, what: string): void {
  const options: SpawnSyncOptions = { cwd: root, stdio: 'inherit', shell: true }
  const result = spawnSync(command, options)
  if (result.error) throw new ReleaseError(`${what} (${command}) could not start: ${result.error.message}`)
  if (result.status !== 0)
    throw new ReleaseError(
      `${what} (${command}) failed with ${result.signal ? `signal ${result.signal}` : `exit code ${result.status}`}; no tag was created.`,
    )
}

function step(message: string): void {
  console.log(`✓ ${message}`)
}

function repositoryRoot(): string {
  const result = git(process.cwd(), ['rev-parse', '--show-toplevel'], { allowFailure: true })
  if (!result.ok) throw new ReleaseError(`${process.cwd()} is not inside a git repository.`)
  return result.stdout
}

function remoteExists(root: string, remote: string): boolean {
  return git(root, ['remote'], { allowFailure: true }).stdout.split('\n').includes(remote)
}

function defaultBranch(root: string, remote: string): string {
  const configured = process.env.RELEASE_DEFAULT_BRANCH
  if (configured) return configured
  const remoteHead = git(root, ['symbolic-ref', '--quiet', '--short', `refs/remotes/${remote}/HEAD`], {
    allowFailure: true,
  })
  if (remoteHead.ok && remoteHead.stdout.startsWith(`${remote}/`)) return remoteHead.stdout.slice(remote.length + 1)
  for (const candidate of ['main', 'master']) {
    if (git(root, ['show-ref', '--verify', '--quiet', `refs/heads/${candidate}`], { allowFailure: true }).ok)
      return candidate
  }
  throw new ReleaseError(
    'Could not tell the default branch (no main, no master, no remote HEAD): set RELEASE_DEFAULT_BRANCH.',
  )
}

/** Release tags (vX.Y.Z and vX.Y.Z-pre), local and, when the remote answers, remote ones. */
function releaseTags(root: string, remote: string, hasRemote: boolean): Map<string, SemVer> {
  const names = new Set(git(root, ['tag', '--list', 'v*']).stdout.split('\n').filter(Boolean))
  if (hasRemote) {
    const listing = git(root, ['ls-remote', '--tags', '--refs', remote, 'v*'], {
      allowFailure: true,
      timeoutMs: 30_000,
    })
    if (listing.ok) {
      for (const line of listing.stdout.split('\n')) {
        const name = /\trefs\/tags\/(.+)$/.exec(line)?.[1]
        if (name) names.add(name)
      }
    } else
      console.log(
        `! Could not list ${remote}'s tags (${listing.stderr.split('\n')[0] || 'no answer'}); comparing with local tags only.`,
      )
  }
  const tags = new Map<string, SemVer>()
  for (const name of names) {
    const version = name.startsWith('v') ? parseVersion(name.slice(1)) : undefined
    if (version) tags.set(name, version)
  }
  return tags
}

function checkVersion(text: string, tags: Map<string, SemVer>): SemVer {
  const version = parseVersion(text.replace(/^v/, ''))
  if (!version) {
    throw new ReleaseError(
      `"${text}" is not a release version: use MAJOR.MINOR.PATCH (such as 1.2.0), optionally with a prerelease (1.2.0-rc.1), and no build metadata.`,
    )
  }
  let latest: [string, SemVer] | undefined
  for (const entry of tags) if (!latest || compareVersions(entry[1], latest[1]) > 0) latest = entry
  if (latest && compareVersions(version, latest[1]) <= 0) {
    throw new ReleaseError(`${formatVersion(version)} is not greater than the latest release tag ${latest[0]}.`)
  }
  step(
    `${formatVersion(version)} is a valid version${latest ? `, greater than ${latest[0]}` : ' (no release tag yet)'}.`,
  )
  return version
}

function checkClean(root: string, when: string): void {
  const status = git(root, ['status', '--porcelain', '--untracked-files=all']).stdout
  if (status !== '') throw new ReleaseError(`The working tree is not clean ${when}; commit or stash first:\n${status}`)
}

function checkBranch(root: string, remote: string, hasRemote: boolean): string {
  const branch = defaultBranch(root, remote)
  const current = git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFailure: true })
  if (!current.ok) throw new ReleaseError(`HEAD is detached; check out ${branch} first.`)
  if (current.stdout !== branch)
    throw new ReleaseError(`Releases are made from ${branch}, but ${current.stdout} is checked out.`)
  if (hasRemote) {
    const tracking = `refs/remotes/${remote}/${branch}`
    if (
      git(root, ['show-ref', '--verify', '--quiet', tracking], { allowFailure: true }).ok &&
      !git(root, ['merge-base', '--is-ancestor', tracking, 'HEAD'], { allowFailure: true }).ok
    ) {
      throw new ReleaseError(`${branch} is behind or has diverged from ${remote}/${branch}; pull first.`)
    }
  }
  step(`On ${branch}, working tree clean.`)
  return branch
}

function checkPackageVersion(root: string, version: string): void {
  const read = (file: string): { version?: unknown; packages?: Record<string, { version?: unknown }> } => {
    try {
      return JSON.parse(readFileSync(path.join(root, file), 'utf8')) as { version?: unknown }
    } catch (error) {
      throw new ReleaseError(`Could not read ${file}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const bump = `Run "npm version ${version} --no-git-tag-version" and commit package.json and package-lock.json.`
  const manifest = read('package.json')
  if (manifest.version !== version)
    throw new ReleaseError(`package.json's version is ${textOf(manifest.version)}, not ${version}. ${bump}`)
  if (existsSync(path.join(root, 'package-lock.json'))) {
    const lock = read('package-lock.json')
    const versions = [lock.version, lock.packages?.['']?.version].filter((v) => v !== undefined)
    if (versions.some((v) => v !== version))
      throw new ReleaseError(
        `package-lock.json's version is ${textOf(versions.find((v) => v !== version))}, not ${version}. ${bump}`,
      )
  }
  step(
    `package.json${existsSync(path.join(root, 'package-lock.json')) ? ' and package-lock.json say' : ' says'} ${version}.`,
  )
}

function checkChangelog(root: string, version: string): string {
  const file = path.join(root, 'CHANGELOG.md')
  if (!existsSync(file)) throw new ReleaseError('CHANGELOG.md is missing.')
  const section = changelogSection(readFileSync(file, 'utf8'), version)
  const how = `Rename "## [Unreleased]" to "## [${version}] - ${new Date().toISOString().slice(0, 10)}", start a new empty Unreleased section above it, and commit.`
  if (section === undefined) throw new ReleaseError(`CHANGELOG.md has no "## [${version}]" section. ${how}`)
  if (section === '') throw new ReleaseError(`CHANGELOG.md's "## [${version}]" section is empty: say what changed.`)
  step(`CHANGELOG.md has a section for ${version}.`)
  return section
}

function release(options: Options): void {
  const root = repositoryRoot()
  const remote = process.env.RELEASE_REMOTE || 'origin'
  const hasRemote = remoteExists(root, remote)
  if (options.push && !hasRemote)
    throw new ReleaseError(`--push needs a remote named "${remote}" (set RELEASE_REMOTE for another name).`)
  const parsed = checkVersion(options.version, releaseTags(root, remote, hasRemote))
  const version = formatVersion(parsed)
  const tag = `v${version}`
  const majorTag = parsed.prerelease.length === 0 ? `v${parsed.major}` : undefined

  checkClean(root, 'before the release')
  const branch = checkBranch(root, remote, hasRemote)
  checkPackageVersion(root, version)
  const notes = checkChangelog(root, version)
  const commit = git(root, ['rev-parse', 'HEAD']).stdout

  const bundle = process.env.RELEASE_BUNDLE_CMD || 'npm run bundle'
  console.log(`\n→ Rebuilding dist/: ${bundle}`)
  shell(root, bundle, 'The bundle')
  const changed = git(root, ['status', '--porcelain', '--untracked-files=all']).stdout
  if (changed !== '') {
    throw new ReleaseError(
      `The rebuilt bundle differs from the committed one, so dist/ is stale: commit the rebuilt files, then release again. No tag was created.\n${changed}`,
    )
  }
  step('dist/ is up to date with the sources.')

  const tests = process.env.RELEASE_TEST_CMD || 'npm test'
  console.log(`\n→ Running the tests: ${tests}`)
  shell(root, tests, 'The tests')
  step('The tests pass.')

  const short = commit.slice(0, 12)
  const previousMajor =
    majorTag &&
    git(root, ['rev-parse', '--verify', '--quiet', `refs/tags/${majorTag}^{commit}`], { allowFailure: true }).stdout
  const refs = [`refs/heads/${branch}`, `refs/tags/${tag}`, ...(majorTag ? [`+refs/tags/${majorTag}`] : [])]
  const pushCommand = ['git', 'push', '--atomic', remote, ...refs]
  console.log('')
  if (options.dryRun) {
    console.log(`Dry run: every check passed. Without --dry-run this would run:`)
    console.log(`  git tag --annotate ${tag} ${short}        (message: the CHANGELOG section)`)
    if (majorTag)
      console.log(
        `  git tag --annotate --force ${majorTag} ${short}   (${previousMajor ? `moved from ${previousMajor.slice(0, 12)}` : 'new'}, pointing at ${tag})`,
      )
    else console.log(`  (${tag} is a prerelease: the major tag is not moved)`)
    console.log(`and then${options.push ? '' : ' print'}: ${pushCommand.join(' ')}`)
    return
  }

  git(root, ['tag', '--annotate', '--cleanup=whitespace', '--file=-', tag, commit], { input: `${tag}\n\n${notes}\n` })
  step(`Created ${tag} at ${short}.`)
  if (majorTag) {
    git(root, ['tag', '--annotate', '--force', '--message', `${majorTag}: points at ${tag}`, majorTag, commit])
    step(
      `${previousMajor ? 'Moved' : 'Created'} ${majorTag} ${previousMajor ? 'to' : 'at'} ${short} (${tag})${previousMajor ? `; it was at ${previousMajor.slice(0, 12)}` : ''}.`,
    )
  } else console.log(`  ${tag} is a prerelease: the major tag was not moved.`)

  if (options.push) {
    console.log(`\n→ ${pushCommand.join(' ')}`)
    const pushed = spawnSync(pushCommand[0]!, pushCommand.slice(1), { cwd: root, stdio: 'inherit' })
    if (pushed.status !== 0)
      throw new ReleaseError(`The push failed; the tags exist locally. Fix the cause and run: ${pushCommand.join(' ')}`)
    step(`Pushed ${branch}, ${tag}${majorTag ? ` and ${majorTag}` : ''} to ${remote}.`)
  } else {
    console.log(
      `\nNothing is pushed yet. To publish ${branch}, ${tag}${majorTag ? ` and the moved ${majorTag}` : ''} in one step, run:`,
    )
    console.log(`  ${pushCommand.join(' ')}`)
  }
  console.log(
    `Then, optionally, publish the GitHub release: gh release create ${tag} --verify-tag --notes-from-tag${parsed.prerelease.length > 0 ? ' --prerelease' : ''}`,
  )
}

function main(argv: string[]): number {
  try {
    const options = parseArgs(argv)
    if (options === 'help') {
      console.log(USAGE)
      return 0
    }
    release(options)
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`release: ${error.message}\n\n${USAGE}`)
      return 2
    }
    if (error instanceof ReleaseError) {
      console.error(`release: ${error.message}`)
      return 1
    }
    throw error
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2))
