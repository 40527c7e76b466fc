import withNuxt from './.nuxt/eslint.config.mjs'

export default withNuxt(
  // the fixture projects under failures/sources fail on purpose, in each framework's own style
  { ignores: ['drizzle/**', 'test/.artifacts/**', '.data/**', 'test/fixtures/failures/sources/*/**'] },
  {
    rules: {
      '@stylistic/max-statements-per-line': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
    },
  },
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
)
