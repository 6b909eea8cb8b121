/**
 * The local tools as OpenAI function tools: names, descriptions and JSON Schemas of their inputs
 * (the same inputs the Scripted driver's steps take, see agent-script.ts).
 */
import { Type, type TObject } from '@sinclair/typebox';
import type { ToolName } from '../../../resources/kinds/agent-script.js';
import type { ServerTool } from '../contract.js';

const toolInputs: Record<ToolName, { description: string; parameters: TObject }> = {
  RunCommand: {
    description: 'Run a shell command in the workspace root and return its combined stdout and stderr and exit code.',
    parameters: Type.Object(
      {
        command: Type.String({ description: 'The shell command line to run.' }),
        timeoutSeconds: Type.Optional(Type.Number({ minimum: 1, description: 'Kill the command after this many seconds.' })),
      },
      { additionalProperties: false },
    ),
  },
  ReadFile: {
    description: 'Read a text file of the workspace.',
    parameters: Type.Object({ path: Type.String({ description: 'Path relative to the workspace root.' }) }, { additionalProperties: false }),
  },
  WriteFile: {
    description: 'Create or overwrite a file of the workspace with the given content.',
    parameters: Type.Object(
      {
        path: Type.String({ description: 'Path relative to the workspace root.' }),
        content: Type.String({ description: 'The complete new content of the file.' }),
      },
      { additionalProperties: false },
    ),
  },
  ListFiles: {
    description: 'List the entries of a workspace directory.',
    parameters: Type.Object(
      {
        path: Type.Optional(Type.String({ description: 'Directory relative to the workspace root; the root when omitted.' })),
        recursive: Type.Optional(Type.Boolean({ description: 'Include subdirectories.' })),
      },
      { additionalProperties: false },
    ),
  },
  EditFile: {
    description: 'Replace exact text in a workspace file.',
    parameters: Type.Object(
      {
        path: Type.String({ description: 'Path relative to the workspace root.' }),
        oldText: Type.String({ description: 'The exact text to replace; must occur in the file.' }),
        newText: Type.String({ description: 'The replacement text.' }),
        replaceAll: Type.Optional(Type.Boolean({ description: 'Replace every occurrence instead of requiring exactly one.' })),
      },
      { additionalProperties: false },
    ),
  },
};

/** A function tool in the chat-completions request format. */
export interface FunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** The `tools` array for an agent's tool list, in a stable order. */
export function functionTools(tools: readonly ToolName[]): FunctionTool[] {
  return tools.map((name) => ({
    type: 'function',
    function: {
      name,
      description: toolInputs[name].description,
      // JSON round trip: TypeBox marks schemas with symbol keys that must not reach the wire.
      parameters: JSON.parse(JSON.stringify(toolInputs[name].parameters)) as Record<string, unknown>,
    },
  }));
}

/** Server-defined Tools as function tools: their inputSchema is the parameters the model fills in. */
export function serverFunctionTools(tools: readonly ServerTool[]): FunctionTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } }));
}
