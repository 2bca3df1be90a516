/**
 * Qoder's regions and the API host of each, the first the default. Its own module because two
 * places need it: the registry (so settings can check 'region' before any provider loads) and
 * qoder.ts (the origin it sends to), and neither may import the other.
 */
export const QODER_REGIONS = { global: 'api.qoder.com', cn: 'api.qoder.com.cn' } as const
