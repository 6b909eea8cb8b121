import { describe, expect, it } from '@jest/globals';
import { Agent, Tool, type KindDefinition, type KubeObject } from './index.js';
import { applyDefaults, findUnknownFields, validateObject } from './validation.js';

function obj(def: KindDefinition, spec: unknown, name = 'lint'): KubeObject {
  return applyDefaults(def, { apiVersion: def.apiVersion, kind: def.kind, metadata: { name, namespace: 'default' }, spec });
}

const goodTool = {
  description: 'Runs the linter on the given paths.',
  inputSchema: { type: 'object', properties: { paths: { type: 'array', items: { type: 'string' } } }, required: ['paths'] },
  command: ['npm', 'run', 'lint', '--'],
  env: { LINT_LEVEL: 'strict' },
  workingDir: 'packages/app',
};

/** The `field: message` lines a write of the object would be refused with. */
const errors = (def: KindDefinition, o: KubeObject) => validateObject(def, o).map((e) => `${e.field}: ${e.message}`);

describe('the Tool kind', () => {
  it('accepts a valid Tool and defaults its timeout', () => {
    const tool = obj(Tool, goodTool);
    expect(errors(Tool, tool)).toEqual([]);
    expect(findUnknownFields(Tool, tool)).toEqual([]);
    expect((tool.spec as { timeoutSeconds: number }).timeoutSeconds).toBe(120);
  });

  it.each([
    ['no command', { ...goodTool, command: [] }, 'spec.command: Invalid value: 0: must have at least 1 item(s)'],
    ['an empty program', { ...goodTool, command: [''] }, 'spec.command[0]: Invalid value: "": the program may not be empty'],
    ['an input schema of a string', { ...goodTool, inputSchema: { type: 'string' } }, 'spec.inputSchema: Invalid value: must describe an object: set "type": "object"'],
    [
      'an input schema that is no JSON Schema',
      { ...goodTool, inputSchema: { type: 'object', properties: { paths: { type: 'list' } } } },
      'spec.inputSchema: Invalid value: is not a valid JSON Schema: inputSchema/properties/paths/type must be equal to one of the allowed values, inputSchema/properties/paths/type must be array, inputSchema/properties/paths/type must match a schema in anyOf',
    ],
    ['an absolute workingDir', { ...goodTool, workingDir: '/etc' }, 'spec.workingDir: Invalid value: "/etc": must be relative to the workspace root'],
    ['a workingDir out of the workspace', { ...goodTool, workingDir: 'a/../../b' }, 'spec.workingDir: Invalid value: "a/../../b": may not lead out of the workspace'],
    ['a bad variable name', { ...goodTool, env: { 'LINT-LEVEL': 'x' } }, 'spec.env[LINT-LEVEL]: Invalid value: "LINT-LEVEL": an environment variable name is letters, digits and _, not starting with a digit'],
    ['the input variable', { ...goodTool, env: { SIDEKICK_TOOL_INPUT: 'x' } }, 'spec.env[SIDEKICK_TOOL_INPUT]: Invalid value: "SIDEKICK_TOOL_INPUT": is set by the node for every call'],
    ['a timeout of 0', { ...goodTool, timeoutSeconds: 0 }, 'spec.timeoutSeconds: Invalid value: 0: must be greater than or equal to 1'],
  ])('refuses %s, naming the field', (_, spec, expected) => {
    expect(errors(Tool, obj(Tool, spec))).toEqual([expected]);
  });

  it('refuses a missing description and input schema, naming both', () => {
    const { description: _d, inputSchema: _i, ...rest } = goodTool;
    expect(errors(Tool, obj(Tool, rest))).toEqual(['spec.description: Required value', 'spec.inputSchema: Required value']);
  });

  it('refuses a name that cannot be a function name', () => {
    expect(errors(Tool, obj(Tool, goodTool, 'lint.v2'))).toEqual([
      `metadata.name: Invalid value: "lint.v2": a Tool's name is the function name agents call: lowercase letters, digits and '-', at most 63 characters, no dots`,
    ]);
  });
});

describe('Agent spec.serverTools', () => {
  const scripted = (script: unknown[], serverTools?: string[]) => obj(Agent, { driver: 'Scripted', script, ...(serverTools ? { serverTools } : {}) }, 'helper');

  it('lets a scripted step call a local tool or a listed Tool', () => {
    expect(errors(Agent, scripted([{ tool: 'RunCommand', input: { command: 'ls' } }, { tool: 'lint', input: { paths: ['.'] } }], ['lint']))).toEqual([]);
  });

  it('refuses a step calling a tool that is neither local nor listed', () => {
    expect(errors(Agent, scripted([{ tool: 'lint' }]))).toEqual([
      'spec.script[0].tool: Unsupported value: "lint": supported values: "RunCommand", "ReadFile", "WriteFile", "ListFiles", "EditFile" (a Tool must be listed in spec.serverTools)',
    ]);
    expect(errors(Agent, scripted([{ tool: 'ReadFiel' }], ['lint']))[0]).toMatch(/^spec\.script\[0\]\.tool: Unsupported value: "ReadFiel": supported values: .*"lint"/);
  });

  it('refuses server tools on a driver that runs its own CLI tools', () => {
    expect(errors(Agent, obj(Agent, { driver: 'Claude', serverTools: ['lint'] }, 'claude'))).toEqual([
      'spec.serverTools: Forbidden: the Claude driver does not offer server-defined tools (the Scripted and OpenAI drivers do)',
    ]);
    expect(errors(Agent, obj(Agent, { driver: 'OpenAI', model: 'm', serverTools: ['Lint'] }, 'oa'))).toEqual(['spec.serverTools[0]: Invalid value: "Lint": must be the name of a Tool (a DNS label)']);
  });
});
