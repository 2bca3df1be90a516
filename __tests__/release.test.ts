/**
 * script/release against throwaway git repositories: a fake package.json, CHANGELOG.md and dist/,
 * with the bundle and test commands stubbed through RELEASE_BUNDLE_CMD / RELEASE_TEST_CMD so each
 * run takes a fraction of a second. The script is run through its bash wrapper, as a person would.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { changelogSection, compareVersions, parseVersion } from '../script/release.ts'

const SCRIPT = path.resolve(import.meta.dirname, '..', 'script', 'release')
const BUNDLE = 'dist/index.js'
const BUNDLE_TEXT = '// bundle of the sources\n'
/** Stub bundle: writes exactly what a fresh bundle of the committed sources would be. */
const BUNDLE_CMD = `node -e "require('fs').writeFileSync('${BUNDLE}', ${JSON.stringify(BUNDLE_TEXT).replace(/"/g, "'")})"`

/** git and the script see only this: no user or system config (signing, hooks, default branch). */
const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_GLOBAL: path.join(tmpdir(), 'deploy-patch-release-test-no-gitconfig'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.invalid',
  RELEASE_BUNDLE_CMD: BUNDLE_CMD,
  RELEASE_TEST_CMD: 'node -e "process.exit(0)"',
}

const repos: string[] = []
afterEach(() => {
  for (const dir of repos.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function sh(
  cwd: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...BASE_ENV, ...env } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function git(cwd: string, ...args: string[]): string {
  const result = sh(cwd, 'git', args)
  if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`)
  return result.stdout.trim()
}

function changelog(...versions: string[]): string {
  const sections = versions.map(
    (version) =>
      `## [${version}] - 2026-01-0${versions.indexOf(version) + 1}\n\n### Added\n\n- Feature of ${version}.\n`,
  )
  return `# Changelog\n\n## [Unreleased]\n\n${sections.join('\n')}`
}

/** Writes the release files for `version` and commits them (package.json, lock, changelog, bundle). */
function prepare(repo: string, version: string, changelogText = changelog(version), bundleText = BUNDLE_TEXT): string {
  writeFileSync(
    path.join(repo, 'package.json'),
    JSON.stringify({ name: 'fake-action', version, private: true }, null, 2) + '\n',
  )
  writeFileSync(
    path.join(repo, 'package-lock.json'),
    JSON.stringify(
      { name: 'fake-action', version, lockfileVersion: 3, packages: { '': { name: 'fake-action', version } } },
      null,
      2,
    ) + '\n',
  )
  writeFileSync(path.join(repo, 'CHANGELOG.md'), changelogText)
  writeFileSync(path.join(repo, BUNDLE), bundleText)
  git(repo, 'add', '-A')
  git(repo, 'commit', '--quiet', '-m', `Release ${version}`)
  return git(repo, 'rev-parse', 'HEAD')
}

function newRepo(): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'deploy-patch-release-'))
  repos.push(repo)
  git(repo, 'init', '--quiet', '--initial-branch=main')
  mkdirSync(path.join(repo, 'dist'))
  writeFileSync(path.join(repo, 'src.ts'), 'export {}\n')
  git(repo, 'add', '-A')
  git(repo, 'commit', '--quiet', '-m', 'Initial')
  return repo
}

function release(repo: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = sh(repo, 'bash', [SCRIPT, ...args], env)
  return { ...result, output: result.stdout + result.stderr }
}

function tags(repo: string): string[] {
  return git(repo, 'tag', '--list').split('\n').filter(Boolean).sort()
}

/** The commit a tag points at, and whether the tag itself is annotated. */
function tagInfo(repo: string, tag: string): { commit: string; annotated: boolean; message: string } {
  return {
    commit: git(repo, 'rev-parse', `refs/tags/${tag}^{commit}`),
    annotated: git(repo, 'cat-file', '-t', `refs/tags/${tag}`) === 'tag',
    message: git(repo, 'tag', '--list', '--format=%(contents)', tag),
  }
}

describe('script/release', () => {
  it('refuses an invalid version, and a missing one with the usage', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0')
    for (const bad of ['1.2', '1.2.0.1', '01.2.0', 'latest', '1.2.0+build.5']) {
      const result = release(repo, [bad])
      expect(result.code, bad).toBe(1)
      expect(result.stderr).toContain(`"${bad}" is not a release version`)
    }
    const missing = release(repo, [])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('VERSION is missing')
    expect(missing.stderr).toContain('Usage: script/release VERSION')
    expect(release(repo, ['1.2.0', '--force']).code).toBe(2)
    expect(tags(repo)).toEqual([])
  })

  it('refuses a version that is not greater than the latest vX.Y.Z tag', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0')
    git(repo, 'tag', '-a', '-m', 'v1.2.0', 'v1.2.0')
    git(repo, 'tag', '-a', '-m', 'v1.10.0', 'v1.10.0')
    git(repo, 'tag', 'not-a-release')
    for (const version of ['1.2.0', '1.9.0', '1.10.0']) {
      const result = release(repo, [version])
      expect(result.code, version).toBe(1)
      expect(result.stderr).toContain(`${version} is not greater than the latest release tag v1.10.0`)
    }
    expect(tags(repo)).toEqual(['not-a-release', 'v1.10.0', 'v1.2.0'])
  })

  it('refuses a dirty working tree, untracked files included', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0')
    writeFileSync(path.join(repo, 'src.ts'), 'export const changed = true\n')
    let result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('The working tree is not clean')
    expect(result.stderr).toContain('src.ts')

    git(repo, 'checkout', '--quiet', '--', 'src.ts')
    writeFileSync(path.join(repo, 'notes.txt'), 'scratch\n')
    result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('notes.txt')
    expect(tags(repo)).toEqual([])
  })

  it('refuses to release from a branch other than the default one', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0')
    git(repo, 'checkout', '--quiet', '-b', 'feature')
    const result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Releases are made from main, but feature is checked out')
    expect(release(repo, ['1.2.0', '--dry-run'], { RELEASE_DEFAULT_BRANCH: 'feature' }).code).toBe(0)
  })

  it('refuses when package.json does not carry the version', () => {
    const repo = newRepo()
    prepare(repo, '1.1.0', changelog('1.2.0'))
    const result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("package.json's version is 1.1.0, not 1.2.0")
    expect(result.stderr).toContain('npm version 1.2.0 --no-git-tag-version')
  })

  it('refuses when CHANGELOG.md has no section for the version, or an empty one, or is missing', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0', changelog('1.1.0'))
    let result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('CHANGELOG.md has no "## [1.2.0]" section')

    prepare(repo, '1.2.0', '# Changelog\n\n## [1.2.0] - 2026-01-01\n\n## [1.1.0] - 2025-12-01\n\n- Old.\n')
    result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('section is empty')

    git(repo, 'rm', '--quiet', 'CHANGELOG.md')
    git(repo, 'commit', '--quiet', '-m', 'No changelog')
    result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('CHANGELOG.md is missing')
    expect(tags(repo)).toEqual([])
  })

  it('refuses when the rebuilt bundle differs from the committed dist/, and when the tests fail', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0', changelog('1.2.0'), '// stale bundle\n')
    let result = release(repo, ['1.2.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('dist/ is stale')
    expect(result.stderr).toContain(BUNDLE)
    expect(tags(repo)).toEqual([])

    git(repo, 'checkout', '--quiet', '--', 'dist')
    prepare(repo, '1.2.0', changelog('1.2.0'))
    result = release(repo, ['1.2.0'], { RELEASE_TEST_CMD: 'node -e "process.exit(3)"' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'The tests (node -e "process.exit(3)") failed with exit code 3; no tag was created.',
    )
    expect(tags(repo)).toEqual([])
  })

  it('dry run: does every check, runs the bundle and the tests, creates no tag', () => {
    const repo = newRepo()
    prepare(repo, '1.2.0')
    const result = release(repo, ['1.2.0', '--dry-run'], { RELEASE_TEST_CMD: 'node -e "console.log(\'tests ran\')"' })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('tests ran')
    expect(result.stdout).toContain('Dry run: every check passed')
    expect(result.stdout).toContain('git tag --annotate v1.2.0')
    expect(result.stdout).toContain('git tag --annotate --force v1 ')
    expect(tags(repo)).toEqual([])
    // And it still refuses what a real run would refuse.
    expect(release(repo, ['1.1.0', '--dry-run']).stderr).toContain("package.json's version is 1.2.0, not 1.1.0")
    expect(release(repo, ['1.2', '--dry-run']).code).toBe(1)
    expect(tags(repo)).toEqual([])
  })

  it('creates v1.2.0 and v1 at HEAD; 1.3.0 later moves v1 again', () => {
    const repo = newRepo()
    const first = prepare(repo, '1.2.0')
    let result = release(repo, ['1.2.0'])
    expect(result.code, result.output).toBe(0)
    expect(tags(repo)).toEqual(['v1', 'v1.2.0'])
    expect(tagInfo(repo, 'v1.2.0')).toEqual({
      commit: first,
      annotated: true,
      message: expect.stringContaining('### Added\n\n- Feature of 1.2.0.') as unknown,
    })
    expect(tagInfo(repo, 'v1')).toMatchObject({ commit: first, annotated: true })
    expect(result.stdout).toContain('Created v1 ')
    expect(result.stdout).toContain('git push --atomic origin refs/heads/main refs/tags/v1.2.0 +refs/tags/v1')
    expect(result.stdout).toContain('Nothing is pushed yet')

    const second = prepare(repo, '1.3.0', changelog('1.3.0', '1.2.0'))
    result = release(repo, ['v1.3.0'])
    expect(result.code, result.output).toBe(0)
    expect(tags(repo)).toEqual(['v1', 'v1.2.0', 'v1.3.0'])
    expect(tagInfo(repo, 'v1.3.0')).toMatchObject({ commit: second, annotated: true })
    expect(tagInfo(repo, 'v1.3.0').message).toContain('Feature of 1.3.0.')
    expect(tagInfo(repo, 'v1.3.0').message).not.toContain('Feature of 1.2.0.')
    expect(tagInfo(repo, 'v1')).toMatchObject({ commit: second, annotated: true })
    expect(tagInfo(repo, 'v1.2.0').commit).toBe(first)
    expect(result.stdout).toContain(`it was at ${first.slice(0, 12)}`)

    // A new major gets its own major tag and leaves v1 alone.
    const third = prepare(repo, '2.0.0', changelog('2.0.0', '1.3.0', '1.2.0'))
    expect(release(repo, ['2.0.0']).code).toBe(0)
    expect(tagInfo(repo, 'v2').commit).toBe(third)
    expect(tagInfo(repo, 'v1').commit).toBe(second)
  })

  it('a prerelease gets its tag but does not move the major tag', () => {
    const repo = newRepo()
    const stable = prepare(repo, '1.2.0')
    expect(release(repo, ['1.2.0']).code).toBe(0)
    const candidate = prepare(repo, '1.3.0-rc.1', changelog('1.3.0-rc.1', '1.2.0'))
    const result = release(repo, ['1.3.0-rc.1'])
    expect(result.code, result.output).toBe(0)
    expect(tagInfo(repo, 'v1.3.0-rc.1').commit).toBe(candidate)
    expect(tagInfo(repo, 'v1').commit).toBe(stable)
    expect(result.stdout).toContain('--prerelease')
    expect(result.stdout).not.toContain('+refs/tags/v1')
  })

  it('--push pushes the branch, the new tag and the moved major tag in one atomic push', () => {
    const remote = mkdtempSync(path.join(tmpdir(), 'deploy-patch-release-remote-'))
    repos.push(remote)
    git(remote, 'init', '--quiet', '--bare', '--initial-branch=main')
    const repo = newRepo()
    const first = prepare(repo, '1.2.0')
    const noRemote = release(repo, ['1.2.0', '--push'])
    expect(noRemote.stderr).toContain('--push needs a remote named "origin"')
    expect(tags(repo)).toEqual([])
    git(repo, 'remote', 'add', 'origin', remote)
    expect(release(repo, ['1.2.0', '--push']).code).toBe(0)
    const second = prepare(repo, '1.3.0', changelog('1.3.0', '1.2.0'))
    const result = release(repo, ['1.3.0', '--push'])
    expect(result.code, result.output).toBe(0)
    expect(git(remote, 'rev-parse', 'refs/heads/main')).toBe(second)
    expect(git(remote, 'rev-parse', 'refs/tags/v1^{commit}')).toBe(second)
    expect(git(remote, 'rev-parse', 'refs/tags/v1.2.0^{commit}')).toBe(first)
    expect(git(remote, 'rev-parse', 'refs/tags/v1.3.0^{commit}')).toBe(second)

    // A tag that exists only on the remote still counts as released.
    git(repo, 'tag', '-d', 'v1.3.0')
    expect(release(repo, ['1.3.0', '--dry-run']).stderr).toContain('not greater than the latest release tag v1.3.0')
  })
})

describe('release helpers', () => {
  it('orders versions by semver precedence', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.2.0',
      '1.10.0',
      '2.0.0',
    ]
    for (let i = 1; i < ordered.length; i++) {
      expect(
        compareVersions(parseVersion(ordered[i - 1]!)!, parseVersion(ordered[i]!)!),
        `${ordered[i - 1]} < ${ordered[i]}`,
      ).toBeLessThan(0)
      expect(compareVersions(parseVersion(ordered[i]!)!, parseVersion(ordered[i - 1]!)!)).toBeGreaterThan(0)
    }
  })

  it('the repository is prepared for the version package.json carries: its CHANGELOG section is written, and the README pins its major tag', () => {
    const root = path.resolve(import.meta.dirname, '..')
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      version: string
      packages: Record<string, { version?: string }>
    }
    expect(parseVersion(version), `package.json version ${version}`).toBeDefined()
    expect([lock.version, lock.packages['']?.version]).toEqual([version, version])
    const section = changelogSection(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), version)
    expect(section, `CHANGELOG.md section for ${version}`).toMatch(/\S/)
    const major = version.split('.')[0]
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    expect(readme).toContain(`uses: OWNER/deploy-patch@v${major}`)
    // Nothing is tagged until script/release runs, so the README says what to pin meanwhile.
    expect(readme).toContain(`script/release ${version}`)
  })

  it('reads one CHANGELOG section, without the link definitions at the end', () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '..', 'CHANGELOG.md'), 'utf8')
    expect(changelogSection(text, 'Unreleased')).toBeDefined()
    const sample =
      '# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-01-01\n\n- A.\n\n## [1.1.0]\n\n- B.\n\n[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0\n'
    expect(changelogSection(sample, '1.2.0')).toBe('- A.')
    expect(changelogSection(sample, '1.1.0')).toBe('- B.')
    expect(changelogSection(sample, '1.1')).toBeUndefined()
  })
})
