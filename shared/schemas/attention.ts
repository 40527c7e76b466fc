import { z } from 'zod'

export const attentionQuerySchema = z.object({
  days: z.coerce.number().int('days is a whole number of days.').min(1, 'days is at least 1.').max(90, 'days is at most 90.').default(7),
  limit: z.coerce.number().int().min(1).max(100, 'limit is at most 100.').default(20),
})
export type AttentionQuery = z.infer<typeof attentionQuerySchema>
