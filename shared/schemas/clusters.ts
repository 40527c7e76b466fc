import { z } from 'zod'
import { TRIAGE_STATUSES } from '../constants'
import { uuidSchema } from './common'
import { webUrlSchema } from './projects'

export const clusterParamsSchema = z.object({
  clusterId: uuidSchema('A cluster id is a UUID, as list_clusters and the clusters page give it.'),
})

export const updateClusterBodySchema = z.object({
  status: z.enum(TRIAGE_STATUSES, `Status is one of: ${TRIAGE_STATUSES.join(', ')}.`).optional(),
  note: z.string().trim().max(2000, 'A note is at most 2,000 characters.').nullable().optional(),
  /** Folds another cluster of the same project into this one: its fingerprint becomes an alias of this cluster. */
  mergeClusterId: uuidSchema('mergeClusterId is the UUID of the cluster to fold into this one.').optional(),
  /** The issue tracked for this cluster; '' or null removes the link. */
  issueUrl: webUrlSchema('The issue link', 'https://github.com/acme/shop/issues/12').optional(),
}).refine(b => b.status !== undefined || b.note !== undefined || b.mergeClusterId !== undefined || b.issueUrl !== undefined,
  'Send a status, a note, an issueUrl or a mergeClusterId.')
export type UpdateClusterBody = z.infer<typeof updateClusterBodySchema>
