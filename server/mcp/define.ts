import type { z } from 'zod'
import type { Scope } from '../services/scope'

/** One MCP tool: a shared zod input schema, words for the model, and one service call. */
export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  name: string
  title: string
  description: string
  input: S
  run: (scope: Scope, args: z.output<S>) => Promise<unknown>
}

export function defineTool<S extends z.ZodObject>(tool: ToolDefinition<S>): ToolDefinition<S> {
  return tool
}
