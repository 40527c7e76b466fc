import { z } from 'zod'
import { API_KEY_SCOPES } from '../constants'
import { slugSchema } from './common'

export const loginBodySchema = z.object({
  email: z.email('Enter a valid email address.').trim().toLowerCase(),
  password: z.string().min(1, 'Enter your password.').max(1024),
})

export const passwordSchema = z.string().min(10, 'A password needs at least 10 characters.').max(1024)

export const setupBodySchema = z.object({
  token: z.string().min(1, 'The setup token from the server log is required.'),
  email: z.email('Enter a valid email address.').trim().toLowerCase(),
  name: z.string().trim().min(1, 'Enter a name.').max(200),
  password: passwordSchema,
})
export type SetupBody = z.infer<typeof setupBodySchema>

export const createApiKeyBodySchema = z.object({
  name: z.string().trim().min(1, 'Give the key a name, e.g. "GitHub Actions".').max(100),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1, 'Choose at least one scope: ingest, read.').transform(s => [...new Set(s)]),
  projectSlug: slugSchema.optional(),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
})
export type CreateApiKeyBody = z.infer<typeof createApiKeyBodySchema>

export const apiKeyParamsSchema = z.object({ keyId: z.uuid('That is not a key id.') })
