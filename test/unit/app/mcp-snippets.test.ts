import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { mcpSnippets } from '../../../utils/mcp-snippets'

describe('MCP setup snippets on the settings page', () => {
  const docs = readFileSync('docs/mcp.md', 'utf8')
  // docs/mcp.md shows the Codex TOML as comments inside the bash block
  const uncommented = docs.replace(/^# {3}/gm, '')

  it.each(mcpSnippets('https://proofdeck.example.com/mcp', 'pd_XXXX').map(s => [s.client, s.code]))('%s is word for word the one in docs/mcp.md', (_client, code) => {
    expect(docs.includes(code) || uncommented.includes(code), code).toBe(true)
  })

  it('fills in the URL and the key', () => {
    const claude = mcpSnippets('http://ci.internal:3000/mcp', 'pd_abc').find(s => s.id === 'claude-code')
    expect(claude?.code).toBe('claude mcp add --transport http proofdeck http://ci.internal:3000/mcp --header "Authorization: Bearer pd_abc"')
  })
})
