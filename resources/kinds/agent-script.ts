/**
 * The Scripted driver's script: ordered steps played through the same tool layer a real model
 * uses. Deterministic, for demos, tests and reproducing a journal. Each step has exactly one verb.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ToolName = {
  RunCommand: 'RunCommand',
  ReadFile: 'ReadFile',
  WriteFile: 'WriteFile',
  ListFiles: 'ListFiles',
  EditFile: 'EditFile',
} as const;
export type ToolName = (typeof ToolName)[keyof typeof ToolName];

const toolNames = Object.values(ToolName);

export const ScriptStep = Type.Object(
  {
    say: Type.Optional(Type.String({ description: 'An assistant message.' })),
    think: Type.Optional(Type.String({ description: 'Assistant reasoning (journalled as assistant.thinking).' })),
    // A string, not the closed set: a step may call a server-defined Tool the agent lists in
    // spec.serverTools; the Agent's validation rules (resources/tool-rules.ts) still refuse a typo.
    tool: Type.Optional(
      Type.String({ minLength: 1, description: `A tool call: one of ${toolNames.join(', ')}, or a Tool the agent lists in spec.serverTools.` }),
    ),
    input: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'Tool input: RunCommand {command, timeoutSeconds?}; ReadFile {path}; WriteFile {path, content}; ListFiles {path?, recursive?}; EditFile {path, oldText, newText, replaceAll?}; a server-defined Tool: an object its inputSchema accepts.',
      }),
    ),
    ask: Type.Optional(Type.String({ description: 'A question to the user; the run waits for input.' })),
    wait: Type.Optional(Type.Number({ minimum: 0, description: 'Seconds to wait before the next step (simulates a slow model).' })),
    fail: Type.Optional(Type.String({ description: 'End the run Failed with this message.' })),
    usage: Type.Optional(
      Type.Object(
        {
          inputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Prompt tokens to report for this step.' })),
          outputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Completion tokens to report for this step.' })),
          costUSD: Type.Optional(Type.Number({ minimum: 0, description: 'Cost in US dollars to report for this step.' })),
        },
        { description: 'Token usage to report for this step.', additionalProperties: false },
      ),
    ),
  },
  { description: 'One scripted step: exactly one of say, think, tool (+input), ask, wait, fail.', additionalProperties: false },
);
export type ScriptStep = Static<typeof ScriptStep>;

export const Script = Type.Array(ScriptStep, { description: 'Scripted driver: ordered steps (say, think, tool call, ask, wait, fail).' });
export type Script = Static<typeof Script>;
