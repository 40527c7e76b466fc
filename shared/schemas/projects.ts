import { z } from 'zod'

/** An http(s) URL of at most 500 characters, trailing slashes dropped; '' or null clears the field. */
export const webUrlSchema = (field: string, example: string) => z.string().trim()
  .refine(s => s.length <= 500, `${field} is at most 500 characters.`)
  .refine(s => s === '' || /^https?:\/\/[^\s/?#]+[^\s]*$/i.test(s), `${field} is an http(s) URL, e.g. ${example}.`)
  .transform(s => s.replace(/\/+$/, '') || null)
  .nullable()

/** The project settings a member or an admin may change (PATCH /api/projects/:slug); send only what changes. */
export const updateProjectBodySchema = z.object({
  name: z.string().trim().refine(s => s.length >= 1 && s.length <= 100, 'The display name is 1–100 characters.').optional(),
  repositoryUrl: webUrlSchema('The repository URL', 'https://github.com/acme/shop').optional(),
  defaultBranch: z.string().trim().refine(s => s.length >= 1 && s.length <= 200 && !s.includes('\u0000'), 'The default branch is 1–200 characters.')
    .optional(),
  retentionDays: z.number('Retention is a whole number of days (1–36,500), or null to keep runs as long as the server default says.')
    .int('Retention is a whole number of days.').min(1, 'Retention is at least 1 day.').max(36_500, 'Retention is at most 36,500 days.')
    .nullable().optional(),
}).refine(b => Object.keys(b).length > 0, 'Send at least one of name, repositoryUrl, defaultBranch, retentionDays.')
export type UpdateProjectBody = z.infer<typeof updateProjectBodySchema>

/** Deleting a project: its slug typed again, as the confirmation. */
export const deleteProjectBodySchema = z.object({
  confirm: z.string('Type the project slug in "confirm" to delete it.').trim(),
})
