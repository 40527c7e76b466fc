import withNuxt from './.nuxt/eslint.config.mjs'

// The layer rules of AGENTS.md, as lint errors: adapters reach the database only through server/services, and the
// dashboard never imports server code (it talks to the server over HTTP, and shares only shared/).
const DB_IMPORTS = {
  patterns: [{
    group: ['drizzle-orm', 'drizzle-orm/*', '**/db', '**/db/*', '@electric-sql/*', 'postgres'],
    message: 'Adapters (server/api, server/routes, server/mcp) call a service in server/services; only services touch the database.',
  }],
}
const SERVER_IMPORTS = {
  patterns: [{
    group: ['**/server/*', '~~/server/*', '#server/*'],
    message: 'The dashboard reads the server through its HTTP API; share types and schemas through shared/ instead.',
  }],
}

export default withNuxt(
  // the fixture projects under failures/sources fail on purpose, in each framework's own style
  { ignores: ['drizzle/**', 'test/.artifacts/**', '.data/**', 'test/fixtures/failures/sources/*/**'] },
  {
    rules: {
      '@stylistic/max-statements-per-line': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      // long sentences (messages, descriptions) may run on: breaking a string to fit hurts more than it helps
      '@stylistic/max-len': ['error', {
        code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true,
      }],
    },
  },
  // a longer file or function says why in an eslint-disable comment (e.g. a single-pass scanner, one SQL statement)
  {
    files: ['server/**', 'shared/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: ['server/api/**', 'server/routes/**', 'server/mcp/**'], rules: { 'no-restricted-imports': ['error', DB_IMPORTS] } },
  {
    files: ['pages/**', 'components/**', 'composables/**', 'layouts/**', 'middleware/**', 'utils/**', 'app.vue', 'app.config.ts'],
    rules: { 'no-restricted-imports': ['error', SERVER_IMPORTS] },
  },
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
)
