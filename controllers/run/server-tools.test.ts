/**
 * What the run controller gives a driver for an agent's server-defined Tools (real SQLite store),
 * and how the approval gate files a call of one.
 */
import { describe, expect, it } from '@jest/globals';
import { storePerTest } from '../test-support.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Tool } from '../../resources/kinds/tool.js';
import { classifyToolCall } from '../approval/classify.js';
import { serverToolsOf } from './server-tools.js';

const openStore = storePerTest('sk-server-tools-');
const apiVersion = 'sidekicks.dev/v1alpha1';

const tool = (name: string, spec: Partial<Tool['spec']> = {}): Tool => ({
  apiVersion,
  kind: 'Tool',
  metadata: { name, namespace: 'default' },
  spec: { description: `the ${name} tool`, inputSchema: { type: 'object' }, command: [name], timeoutSeconds: 120, ...spec },
  status: {},
});
const agent = (serverTools: string[]): Agent => ({
  apiVersion,
  kind: 'Agent',
  metadata: { name: 'helper', namespace: 'default' },
  spec: { driver: 'Scripted', maxTurns: 50, script: [], serverTools },
  status: {},
});

describe('serverToolsOf', () => {
  it("gives the agent's Tools in its order, as the driver contract's ServerTool", async () => {
    const store = await openStore();
    await store.create('tools', tool('lint', { env: { LEVEL: 'strict' }, workingDir: 'app', timeoutSeconds: 30 }));
    await store.create('tools', tool('deploy'));
    await store.create('tools', tool('unused'));
    expect(await serverToolsOf(store, agent(['lint', 'deploy']))).toEqual([
      { name: 'lint', description: 'the lint tool', inputSchema: { type: 'object' }, command: ['lint'], env: { LEVEL: 'strict' }, timeoutSeconds: 30, workingDir: 'app' },
      { name: 'deploy', description: 'the deploy tool', inputSchema: { type: 'object' }, command: ['deploy'], env: {}, timeoutSeconds: 120 },
    ]);
    expect(await serverToolsOf(store, agent([]))).toEqual([]);
  });

  it('refuses a missing Tool with reason ToolNotFound, naming it', async () => {
    const store = await openStore();
    await store.create('tools', tool('lint'));
    const err = await serverToolsOf(store, agent(['lint', 'nowhere'])).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'ToolNotFound', message: 'agent helper: spec.serverTools: tool "nowhere" not found in namespace default' });
  });
});

describe('a server-defined tool at the approval gate', () => {
  it('is ToolExecution, like RunCommand, whatever its input says', () => {
    expect(classifyToolCall({ tool: 'lint', input: { paths: ['src'] } }, { workspace: '/ws' })).toMatchObject({ categories: ['ToolExecution'], request: { tool: 'lint' } });
    // Input that looks like a file tool's does not make it one.
    expect(classifyToolCall({ tool: 'deploy', input: { path: 'src/a.ts' } }, { workspace: '/ws' })).toMatchObject({ categories: ['ToolExecution'], request: { tool: 'deploy', summary: 'deploy src/a.ts' } });
  });
});
