/**
 * The client's SDK-HMAC-SHA256 signer against vectors worked out by hand from Huawei's published
 * algorithm (Huawei "API Request Signing Guide"); the digests were computed with openssl, outside any project code.
 * The same vectors check the emulator's independent verifier, so both sides agree with the paper.
 */
import { describe, expect, it } from 'vitest'
import {
  authorization,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  encodeRfc3986,
  sdkDate,
  stringToSign,
} from '../../src/providers/huaweicloud-sign.js'

const PROJECT = '95d02433133a4c0a87ba6967474a2ad3'
const AK = 'HPUAEXAMPLEAK0000001'
const SK = 'example/secret+key=0001'

describe('SDK-HMAC-SHA256 signer', () => {
  const put = {
    method: 'PUT',
    url: new URL(
      `https://rts.cn-north-4.myhuaweicloud.com/v1/${PROJECT}/software_deployments/dep:1%20%C3%BC?server_id=ec14c864&tag=b%2Fc&tag=a+b&flag`,
    ),
    headers: {
      Host: 'rts.cn-north-4.myhuaweicloud.com',
      'X-Sdk-Date': '20240315T080910Z',
      'Content-Type': '  application/json ',
      'X-Project-Id': PROJECT,
    },
    body: '{"status":"IN_PROGRESS"}',
  }
  const canonical = [
    'PUT',
    `/v1/${PROJECT}/software_deployments/dep%3A1%2520%25C3%25BC/`,
    'flag=&server_id=ec14c864&tag=a%20b&tag=b%2Fc',
    'content-type:application/json',
    'host:rts.cn-north-4.myhuaweicloud.com',
    `x-project-id:${PROJECT}`,
    'x-sdk-date:20240315T080910Z',
    '',
    'content-type;host;x-project-id;x-sdk-date',
    '0a707761c7dc9ffaa237f4483ec7c618287a6efc8880c67677939e46bdbf22ee',
  ].join('\n')

  it('builds the canonical request of the worked PUT vector', () => {
    expect(canonicalRequest(put, ['x-sdk-date', 'host', 'content-type', 'x-project-id'])).toBe(canonical)
  })

  it('builds its string to sign', () => {
    expect(stringToSign(canonical, '20240315T080910Z')).toBe(
      'SDK-HMAC-SHA256\n20240315T080910Z\nfddd8e5eb6ec4aaf78443910f4a58391cda0cb69b0eb97b338d6126ddeeca315',
    )
  })

  it('signs the worked PUT vector', () => {
    expect(authorization(put, AK, SK, ['content-type', 'host', 'x-project-id', 'x-sdk-date'])).toBe(
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=c0aaf71677f17064aa482583901a23d58a5f03f802c916438f1b71559ce28c90`,
    )
  })

  it('signs the worked GET vector: no query, empty body hashed as the empty string', () => {
    const get = {
      method: 'GET',
      url: new URL(
        `https://rts.cn-north-4.myhuaweicloud.com/v1/${PROJECT}/software_deployments/3d5ec2a8-7004-43b6-a7f6-542bdbe9d434`,
      ),
      headers: { host: 'rts.cn-north-4.myhuaweicloud.com', 'x-sdk-date': '20240315T080910Z' },
      body: '',
    }
    expect(canonicalRequest(get, ['host', 'x-sdk-date']).split('\n').at(-1)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(authorization(get, AK, SK, ['host', 'x-sdk-date'])).toMatch(
      /, Signature=c8b6135f764c1a4cf30c6db165e9c7665ec93199e8212569c68152023f5ce6a3$/,
    )
  })

  it('always ends the canonical URI with a slash, for signing only', () => {
    expect(canonicalUri(new URL('https://h/v1/p/software_deployments/x'))).toBe('/v1/p/software_deployments/x/')
    expect(canonicalUri(new URL('https://h/'))).toBe('/')
  })

  it('encodes the path as sent: a base-url prefix holding % escapes is not decoded first (as the SDK signer)', () => {
    expect(canonicalUri(new URL('https://gw.example/rts%2Fgw/a%20b/v1/p/x'))).toBe('/rts%252Fgw/a%2520b/v1/p/x/')
  })

  it('sorts the query before encoding, by UTF-16 code units (as the SDK signer)', () => {
    expect(canonicalQuery(new URL('https://h/?%C3%BC=1&server_id=2&a%3A=3&a0=4'))).toBe(
      'a0=4&a%3A=3&server_id=2&%C3%BC=1',
    )
  })

  it('sorts the query by name then value and encodes per RFC 3986', () => {
    expect(canonicalQuery(new URL("https://h/?b=2&a=z&a=y&c=*!'()~"))).toBe('a=y&a=z&b=2&c=%2A%21%27%28%29~')
    expect(canonicalQuery(new URL('https://h/'))).toBe('')
    expect(encodeRfc3986('a b/ü*')).toBe('a%20b%2F%C3%BC%2A')
  })

  it('uses X-Sdk-Content-Sha256 when present instead of hashing the body', () => {
    const request = { ...put, headers: { ...put.headers, 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } }
    expect(canonicalRequest(request, ['host', 'x-sdk-date']).split('\n').at(-1)).toBe('UNSIGNED-PAYLOAD')
  })

  it('formats X-Sdk-Date as YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(sdkDate(new Date('2024-03-15T08:09:10.987Z'))).toBe('20240315T080910Z')
  })

  it('refuses to sign a header the request does not carry', () => {
    expect(() =>
      authorization({ ...put, headers: { 'X-Sdk-Date': '20240315T080910Z' } }, AK, SK, ['host', 'x-sdk-date']),
    ).toThrow(/no 'host' header/)
  })
})
