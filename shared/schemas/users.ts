import { z } from 'zod'
import { USER_ROLES } from '../constants'
import { passwordSchema } from './auth'
import { slugSchema } from './common'

export const userParamsSchema = z.object({ userId: z.uuid('That is not a user id.') })

/** An empty field means "generate one for me": the generated password is shown once in the answer. */
const optionalPasswordSchema = z.preprocess(v => (v === '' || v === null ? undefined : v), passwordSchema.optional())

const roleSchema = z.enum(USER_ROLES, `Role is one of: ${USER_ROLES.join(', ')}.`)

const projectSlugsSchema = z.array(slugSchema).max(1000, 'At most 1,000 projects per user.')
  .transform(s => [...new Set(s)])

export const createUserBodySchema = z.object({
  email: z.email('Enter a valid email address.').trim().toLowerCase(),
  name: z.string().trim().min(1, 'Enter a name.').max(200, 'A name is at most 200 characters.'),
  role: roleSchema.default('member'),
  password: optionalPasswordSchema,
  /** Projects a member or viewer may see; ignored for admins, who see every project. */
  projectSlugs: projectSlugsSchema.default([]),
})
export type CreateUserBody = z.infer<typeof createUserBodySchema>

export const updateUserBodySchema = z.object({
  name: z.string().trim().min(1, 'Enter a name.').max(200, 'A name is at most 200 characters.').optional(),
  role: roleSchema.optional(),
  projectSlugs: projectSlugsSchema.optional(),
  /** false deactivates the account (sign-in, sessions and API keys stop working); true reactivates it. */
  active: z.boolean('active is true or false.').optional(),
}).refine(b => Object.values(b).some(v => v !== undefined), 'Send at least one of: name, role, projectSlugs, active.')
export type UpdateUserBody = z.infer<typeof updateUserBodySchema>

export const resetPasswordBodySchema = z.object({ password: optionalPasswordSchema })
export type ResetPasswordBody = z.infer<typeof resetPasswordBodySchema>

export const changePasswordBodySchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: passwordSchema,
}).refine(b => b.currentPassword !== b.newPassword, { message: 'The new password must differ from the current one.', path: ['newPassword'] })
export type ChangePasswordBody = z.infer<typeof changePasswordBodySchema>
