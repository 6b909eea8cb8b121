/**
 * Tool: a command the control plane (or the daemon's user) defines and agents call as a function
 * tool — seed 000's "CLI Tools … defined in Sidekick". The machine that runs the agent's run runs
 * the command, in the run's sandbox, with the model's input on stdin; agents name the Tools they
 * get in `spec.serverTools` (docs/decisions/0033-server-defined-tools.md).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { StringMap } from './common.js';

export const ToolSpec = Type.Object(
  {
    description: Type.String({ minLength: 1, description: 'What the tool does, as the model reads it when choosing a tool.' }),
    inputSchema: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'JSON Schema of the input object ("type": "object" at the top). The model is given it as the function\'s parameters, and every call\'s input is validated against it before the call is approved or run.',
    }),
    command: Type.Array(Type.String(), {
      minItems: 1,
      description:
        'The program and its arguments (argv, no shell), run in the workspace of the calling run. The input arrives as JSON on stdin and in the environment variable SIDEKICK_TOOL_INPUT; stdout, stderr and the exit code are the result.',
    }),
    env: Type.Optional(
      StringMap(
        'Environment for the command. Withheld on machines that do not pass environment through (`--allow-env-passthrough`): the tool result then names the variables withheld. Put no secrets here that a node owner should not see.',
      ),
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 120, description: 'The command is killed (its whole process group) after this many seconds.' }),
    workingDir: Type.Optional(
      Type.String({ description: 'Directory the command runs in, relative to the workspace root (the root when unset); it may not lead out of the workspace.' }),
    ),
  },
  { description: 'What the tool is and what it runs.', additionalProperties: false },
);

export const ToolStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the tool.' },
);

export const Tool = defineKind({
  kind: 'Tool',
  plural: 'tools',
  shortNames: ['tl'],
  categories: ['all', 'sidekicks'],
  description: 'A command defined once, offered to agents as a function tool and run on the machine that runs the agent, inside its sandbox.',
  spec: ToolSpec,
  status: ToolStatus,
  printerColumns: [
    { name: 'Timeout', type: 'integer', jsonPath: '.spec.timeoutSeconds' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
  ],
});
export type Tool = ObjectOf<typeof Tool>;
export type ToolSpec = Static<typeof ToolSpec>;
