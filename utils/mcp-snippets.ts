/** One MCP client's setup: where it goes and the text to paste, with this server's URL and a read key filled in. */
export interface McpSnippet {
  id: string
  client: string
  where: string
  language: 'bash' | 'json' | 'toml' | 'yaml'
  code: string
  /** The client reads the key from an environment variable or a secret rather than from the snippet. */
  keyVariable?: string
}

/**
 * Setup snippets for every client docs/mcp.md documents, word for word (a unit test renders them with the docs'
 * example URL and key and finds each one in the docs), so the page and the docs never drift apart.
 */
export function mcpSnippets(url: string, key: string): McpSnippet[] {
  return [
    { id: 'claude-code', client: 'Claude Code', where: 'Terminal', language: 'bash', code: `claude mcp add --transport http proofdeck ${url} --header "Authorization: Bearer ${key}"` },
    { id: 'cursor', client: 'Cursor', where: '~/.cursor/mcp.json', language: 'json', keyVariable: 'PROOFDECK_READ_KEY', code: `{ "mcpServers": { "proofdeck": { "url": "${url}", "headers": { "Authorization": "Bearer \${env:PROOFDECK_READ_KEY}" } } } }` },
    {
      id: 'vscode',
      client: 'VS Code',
      where: '.vscode/mcp.json (asks for the key when it starts)',
      language: 'json',
      code: `{ "inputs": [{ "type": "promptString", "id": "pd-key", "description": "Proofdeck read key", "password": true }],\n  "servers": { "proofdeck": { "type": "http", "url": "${url}", "headers": { "Authorization": "Bearer \${input:pd-key}" } } } }`,
    },
    { id: 'gemini-cli', client: 'Gemini CLI', where: 'Terminal', language: 'bash', code: `gemini mcp add --transport http --header "Authorization: Bearer ${key}" proofdeck ${url}` },
    { id: 'gemini-settings', client: 'Gemini CLI (settings file)', where: '~/.gemini/settings.json', language: 'json', code: `{ "mcpServers": { "proofdeck": { "httpUrl": "${url}", "headers": { "Authorization": "Bearer ${key}" } } } }` },
    { id: 'claude-desktop', client: 'Claude Desktop', where: 'claude_desktop_config.json', language: 'json', code: `{ "mcpServers": { "proofdeck": { "command": "npx", "args": ["-y", "mcp-remote", "${url}", "--header", "Authorization:\${PD_AUTH}"], "env": { "PD_AUTH": "Bearer ${key}" } } } }` },
    { id: 'windsurf', client: 'Windsurf', where: '~/.codeium/windsurf/mcp_config.json', language: 'json', code: `{ "mcpServers": { "proofdeck": { "serverUrl": "${url}", "headers": { "Authorization": "Bearer ${key}" } } } }` },
    {
      id: 'continue',
      client: 'Continue',
      where: '.continue/config.yaml',
      language: 'yaml',
      keyVariable: 'PROOFDECK_READ_KEY',
      code: `mcpServers:\n  - name: proofdeck\n    type: streamable-http\n    url: ${url}\n    requestOptions:\n      headers:\n        Authorization: Bearer \${{ secrets.PROOFDECK_READ_KEY }}`,
    },
    { id: 'codex', client: 'Codex', where: '~/.codex/config.toml', language: 'toml', code: `[mcp_servers.proofdeck]\nurl = "${url}"\nhttp_headers = { Authorization = "Bearer ${key}" }` },
  ]
}
