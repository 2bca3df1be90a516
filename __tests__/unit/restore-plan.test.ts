/**
 * The rollback's plan trusts what the GET before the update returned only as far as the payload
 * check would: a value a server answers that the action would refuse in a payload (a port that is
 * a string, a config id that is not a UUID) is not written back; the known-good payload's value is
 * used instead, or, without one, the rollback is refused before any write.
 */
import { describe, expect, it } from 'vitest'
import { aieev } from '../../src/providers/aieev.ts'
import { huaweicloudRts } from '../../src/providers/huaweicloud-rts.ts'

const CONFIG = '3d5ec2a8-7004-43b6-a7f6-542bdbe9d434'
const OLD_CONFIG = '6165cd94-75b1-4069-a6ac-8f1031e25ebd'

describe("the rollback's plan from the read before the update", () => {
  it('Aieev: a setting the GET returns in a shape the payload check refuses is not sent back', () => {
    const plan = (before: Record<string, unknown>, known?: Record<string, unknown>) =>
      aieev.restore!.plan(before, { container_port: 9090 }, known)
    expect(plan({ container_port: 8080 })).toMatchObject({ body: { container_port: 8080 } })
    expect(plan({ container_port: '8080; rm -rf /' })).toMatchObject({ missing: ['container_port'] })
    expect(plan({ container_port: { value: 8080 } })).toMatchObject({ missing: ['container_port'] })
    expect(plan({ container_port: 70000 }, { container_port: 8080 })).toMatchObject({ body: { container_port: 8080 } })
  })

  it('RTS: a config_id the GET returns that is not one is not sent back', () => {
    const payload = { config_id: CONFIG, status: 'IN_PROGRESS' }
    const plan = (before: Record<string, unknown>, known?: Record<string, unknown>) =>
      huaweicloudRts.restore!.plan(before, payload, known)
    expect(plan({ config_id: OLD_CONFIG })).toMatchObject({ body: { config_id: OLD_CONFIG, status: 'IN_PROGRESS' } })
    expect(plan({ config_id: ['not', 'an', 'id'] })).toMatchObject({ missing: ['config_id'] })
    expect(plan({ config_id: 42 }, { config_id: OLD_CONFIG })).toMatchObject({ body: { config_id: OLD_CONFIG } })
  })
})
