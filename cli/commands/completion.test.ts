/**
 * `sidekick completion bash` run for real: bash sources the script, `sidekick` is the compiled CLI
 * against a temp daemon, and each case sets COMP_WORDS as bash would for a TAB and reads COMPREPLY.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { cliMain } from '../../test/support/daemon.js';

const run = promisify(execFile);
const APPROVALS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'approvals', kind: 'Approval', namespaced: true };

let h: CliHarness;
let script: string;

function approval(name: string): string {
  return JSON.stringify({
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Approval',
    metadata: { name, labels: { 'sidekicks.dev/run': 'fix-login' } },
    spec: { session: 's1', run: 'fix-login', category: 'ToolExecution', request: { tool: 'RunCommand', command: 'npm install', summary: 'npm install' } },
  });
}

beforeAll(async () => {
  h = await startHarness();
  await h.write('objects.yaml', [runManifest('fix-login'), runManifest('add-tests'), runManifest('elsewhere', { namespace: 'other' })].join('\n---\n'));
  expect((await h.sk(['apply', '-f', 'objects.yaml'])).code).toBe(0);
  for (const [name, phase] of [['ask-npm', 'Pending'], ['ask-curl', 'Pending'], ['done-rm', 'Approved']]) {
    expect((await h.sk(['apply', '-f', '-'], { stdin: approval(name) })).code).toBe(0);
    const created = await h.client.get(APPROVALS, 'default', name);
    await h.client.updateStatus(APPROVALS, 'default', { ...created, status: { phase } });
  }
  await h.client.create({ group: 'sidekicks.dev', version: 'v1alpha1', plural: 'sessions', kind: 'Session', namespaced: true }, 'default', {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Session',
    metadata: { name: 'team' },
    spec: {},
  });
  script = (await h.sk(['completion', 'bash'])).stdout;
});
afterAll(async () => {
  await h?.close();
});

/** What TAB offers after `line` (a trailing space means a new, empty word), sorted. */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = [
    `sidekick() { node ${JSON.stringify(cliMain)} "$@"; }`,
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_sidekick',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const { stdout } = await run('bash', ['-c', program], { env: { ...process.env, SIDEKICK_HOME: h.home } });
  return stdout.split('\n').filter(Boolean).sort();
}

describe('completion bash', () => {
  test('approve and deny offer the pending approvals only', async () => {
    expect(await complete('sidekick approve ')).toEqual(['ask-curl', 'ask-npm']);
    expect(await complete('sidekick deny ask-c')).toEqual(['ask-curl']);
  });

  test('run verbs offer run/NAME in the namespace of -n', async () => {
    for (const verb of ['steer', 'respond', 'interrupt', 'cancel', 'pause', 'resume']) {
      expect(await complete(`sidekick ${verb} `)).toEqual(['run/add-tests', 'run/fix-login']);
    }
    expect(await complete('sidekick steer run/f')).toEqual(['run/fix-login']);
    expect(await complete('sidekick pause -n other ')).toEqual(['run/elsewhere']);
    // After the run, -m's text is not a second target.
    expect(await complete('sidekick steer run/fix-login -m hello ')).toEqual([]);
  });

  test('logs offers runs (and channels, workflows); timeline and replay offer sessions', async () => {
    expect(await complete('sidekick logs ')).toEqual(['run/add-tests', 'run/fix-login']);
    expect(await complete('sidekick timeline ')).toEqual(['session/team', 'verify']);
    expect(await complete('sidekick timeline verify ')).toEqual(['session/team']);
    expect(await complete('sidekick replay s')).toEqual(['session/team']);
  });

  test('get, describe and delete complete TYPE NAME and TYPE/NAME', async () => {
    expect(await complete('sidekick get runs ')).toEqual(['add-tests', 'fix-login']);
    expect(await complete('sidekick describe run/a')).toEqual(['run/add-tests']);
    expect(await complete('sidekick delete approvals done')).toEqual(['done-rm']);
    expect(await complete('sidekick get ru')).toEqual(expect.arrayContaining(['run', 'runs']));
  });

  test('groups offer their subcommands; a typed verb completes', async () => {
    expect(await complete('sidekick token ')).toEqual(['create', 'list', 'revoke']);
    expect(await complete('sidekick workflow ')).toEqual(['resume', 'retry', 'stop']);
    expect(await complete('sidekick daemon st')).toEqual(['start', 'status', 'stop']);
    expect(await complete('sidekick ste')).toEqual(['steer']);
    expect(await complete('sidekick config ')).toEqual(['current-context', 'delete-context', 'get-contexts', 'set-context', 'use-context', 'view']);
  });

  test('--context and the config verbs offer the kubeconfig\'s context names', async () => {
    for (const name of ['team-cp', 'laptop']) expect((await h.sk(['config', 'set-context', name, '--server', 'https://127.0.0.1:1'])).code).toBe(0);
    expect(await complete('sidekick config use-context ')).toEqual(['laptop', 'team-cp']);
    expect(await complete('sidekick config delete-context t')).toEqual(['team-cp']);
    expect(await complete('sidekick get runs --context ')).toEqual(['laptop', 'team-cp']);
    // The context's value is not taken for the verb.
    expect(await complete('sidekick --context laptop get r')).toEqual(expect.arrayContaining(['run', 'runs']));
  });
});
