/**
 * A throwaway self-signed certificate for tests that need TLS: made at test time with the openssl
 * CLI in a temporary directory (no key is ever committed), valid for a day.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { isIP } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

export interface TestCertificate {
  key: Buffer
  cert: Buffer
  /** The certificate as a PEM file, e.g. for NODE_EXTRA_CA_CERTS. */
  certFile: string
  /** Removes the directory holding the files. */
  dispose(): Promise<void>
}

/** A self-signed leaf for `names` (host names or IP addresses, as subjectAltName entries). */
export async function selfSignedCertificate(names: string[]): Promise<TestCertificate> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-cert-'))
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=deploy-patch-test',
    '-addext',
    `subjectAltName=${altNames}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ])
  return {
    key: await readFile(keyFile),
    cert: await readFile(certFile),
    certFile,
    dispose: () => rm(dir, { recursive: true, force: true }),
  }
}
