import { z } from 'zod'
import { QUARANTINE_REASON_MAX } from '../constants'

const expirySchema = z.iso.datetime({ offset: true, message: 'An expiry is an ISO date-time, e.g. 2026-12-31T00:00:00Z.' })
  .refine(s => Date.parse(s) > Date.now(), 'An expiry is in the future; release the test instead of quarantining it until a past date.')

/** `PUT /api/test-cases/{id}/quarantine`: why, and optionally until when (`until` is the same as `expiresAt`). */
export const quarantineBodySchema = z.object({
  reason: z.string('Say why the test is quarantined: {"reason": "…"}.').trim()
    .min(1, 'Say why the test is quarantined: {"reason": "…"}.')
    .max(QUARANTINE_REASON_MAX, `A quarantine reason is at most ${QUARANTINE_REASON_MAX} characters.`),
  expiresAt: expirySchema.nullable().optional(),
  until: expirySchema.nullable().optional(),
}).transform(({ reason, expiresAt, until }) => ({ reason, expiresAt: expiresAt ?? until ?? null }))
export type QuarantineBody = z.infer<typeof quarantineBodySchema>
