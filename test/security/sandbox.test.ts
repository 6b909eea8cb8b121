/**
 * The agent boundary, tried the way a hostile agent would (issue #9, section 1), against a real
 * daemon process with real git and bubblewrap. The daemon runs with a user HOME that holds an SSH
 * key and an environment full of secrets; a Scripted agent rewrites the one command its policy
 * allows and then runs it. Nothing of the daemon's may be reachable from there.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import { eventually } from '../eventually.js';
import { describeWithSandbox } from '../services.js';
import { cliMain, demoRepo, fetchTimeline, GV, SocketApi, startDaemonProcess } from '../e2e/support.js';
import type { Run } from '../../resources/kinds/run.js';

const secrets = {
  MY_PASSWD: 'hunter2',
  DATABASE_URL: 'postgres://app:s3cret@db.internal/app',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.example/T000/B000/XXXX',
  NPM_CONFIG__AUTH: 'bnBtOnNlY3JldA==',
  DOCKER_AUTH_CONFIG: '{"auths":{}}',
  GITHUB_TOKEN: 'ghp_leak',
  PYTHONPATH: '/evil',
  LD_LIBRARY_PATH: '/evil/lib',
  GIT_TERMINAL_PROMPT: '0',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
};

describeWithSandbox('the agent sandbox (bubblewrap)', () => {
  let dir: string;
  let home: string;
  let userHome: string;
  let outside: string;
  let daemon: ChildProcess;
  let client: SocketApi;
  let listener: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-sandbox-'));
    home = join(dir, 'home');
    userHome = join(dir, 'user');
    outside = join(dir, 'outside');
    mkdirSync(join(userHome, '.ssh'), { recursive: true });
    writeFileSync(join(userHome, '.ssh', 'id_ed25519'), 'PRIVATE KEY\n', { mode: 0o600 });
    writeFileSync(join(userHome, '.npmrc'), '//registry.npmjs.org/:_authToken=npm_secret\n');
    mkdirSync(outside);
    listener = createServer((socket) => {
      connections++;
      socket.end('HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as { port: number }).port;
    daemon = await startDaemonProcess(home, { ...process.env, HOME: userHome, SIDEKICK_HOME: home, ...secrets });
    client = new SocketApi(sidekickHome(home).socket);
    const repoPath = demoRepo(dir);
    await client.create('sessions', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'sbx' }, spec: {} });
    await client.create('repomounts', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'demo' }, spec: { session: 'sbx', path: repoPath } });
    await client.create('approvalpolicies', 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'ApprovalPolicy',
      metadata: { name: 'only-the-test' },
      spec: { session: 'sbx', rules: [{ category: 'ToolExecution', match: { tool: 'RunCommand', command: 'sh test.sh' }, action: 'Allow' }] },
    });
  }, 60_000);

  afterAll(async () => {
    daemon?.kill('SIGTERM');
    await new Promise((r) => (daemon?.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
    listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a Scripted agent that rewrites test.sh to `script` and runs it (the one allowed command). */
  async function allowedCommandRuns(name: string, script: string): Promise<{ run: Run; output: string }> {
    await client.create('agents', 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Agent',
      metadata: { name },
      spec: {
        driver: 'Scripted',
        tools: ['WriteFile', 'RunCommand'],
        script: [{ tool: 'WriteFile', input: { path: 'test.sh', content: script } }, { tool: 'RunCommand', input: { command: 'sh test.sh' } }, { say: 'done' }],
      },
    });
    await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 'sbx', agent: name, repoMount: 'demo', prompt: 'run the tests' } });
    const run = await eventually(async () => {
      const r = (await client.get('runs', 'default', name)) as Run;
      if (r.status?.phase !== 'Completed' && r.status?.phase !== 'Failed') throw new Error(`phase ${r.status?.phase}`);
      return r;
    }, { timeoutMs: 30_000 });
    return { run, output: await commandOutput(name) };
  }

  async function commandOutput(run: string): Promise<string> {
    const events = await fetchTimeline(client, 'sbx');
    const result = events.find((e) => e.type === 'tool.result' && (e as { run?: string }).run === run && (e.payload as { tool?: string }).tool === 'RunCommand');
    expect(result).toBeDefined();
    return (result!.payload as { output: string }).output;
  }

  it('reports the isolation in effect on the run', async () => {
    const { run } = await allowedCommandRuns('isolation', 'echo hi\n');
    expect(run.status?.phase).toBe('Completed');
    expect(run.status?.isolation).toEqual({ mode: 'Sandboxed', mechanism: 'bubblewrap', network: 'PerCall' });
  });

  it('an allowed command rewritten by the agent cannot mint a token, read the owner token, or write outside the workspace', async () => {
    const tokensBefore = existsSync(sidekickHome(home).tokens) ? readFileSync(sidekickHome(home).tokens, 'utf8') : '';
    const attack = [
      `${process.execPath} ${cliMain} --home ${home} token create --as mallory --role Owner && echo MINTED`,
      `cat ${sidekickHome(home).token} && echo READ-OWNER-TOKEN`,
      `ls ${home}`,
      `echo pwned > ${join(outside, 'pwned.txt')} && echo WROTE-OUTSIDE`,
      `echo pwned > ${join(userHome, 'pwned.txt')} && echo WROTE-HOME`,
      'echo exit-ok',
    ].join('\n');
    const { run, output } = await allowedCommandRuns('escalate', `${attack}\n`);
    expect(run.status?.phase).toBe('Completed');
    expect(output).toContain('exit-ok');
    for (const marker of ['MINTED', 'READ-OWNER-TOKEN', 'WROTE-OUTSIDE', 'WROTE-HOME']) expect(output).not.toContain(marker);
    expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
    expect(existsSync(join(userHome, 'pwned.txt'))).toBe(false);
    expect(existsSync(sidekickHome(home).tokens) ? readFileSync(sidekickHome(home).tokens, 'utf8') : '').toBe(tokensBefore);
    // The attempt is in the journal: the command's output shows each refusal.
    expect(output).toMatch(/Read-only file system|No such file|ENOENT|ECONNREFUSED|connect/);
  });

  it('an agent cannot plant a git hook or repoint its worktree, which the daemon\'s commit would follow outside the sandbox', async () => {
    const common = join(dir, 'demo', '.git');
    const hook = `printf '#!/bin/sh\\necho pwned > ${join(outside, 'hook.txt')}\\n'`;
    const attack = [
      `${hook} > ${join(common, 'hooks', 'post-commit')} && chmod +x ${join(common, 'hooks', 'post-commit')} && echo PLANTED-HOOK`,
      `echo '[core]' >> ${join(common, 'config')} && echo EDITED-CONFIG`,
      `echo "gitdir: ${outside}" > .git && echo REPOINTED-WORKTREE`,
      `for f in ${join(common, 'worktrees')}/*/commondir; do echo ${outside} > "$f" && echo REPOINTED-COMMONDIR; done`,
      'echo change > agent.txt',
      'echo exit-ok',
    ].join('\n');
    const { run, output } = await allowedCommandRuns('hooks', `${attack}\n`);
    expect(output).toContain('exit-ok');
    for (const marker of ['PLANTED-HOOK', 'EDITED-CONFIG', 'REPOINTED-WORKTREE', 'REPOINTED-COMMONDIR']) expect(output).not.toContain(marker);
    // The daemon committed the run's change in the real repository, and no hook of the agent's ran.
    expect(run.status?.phase).toBe('Completed');
    expect(run.status?.diff?.files).toBeGreaterThan(0);
    expect(existsSync(join(outside, 'hook.txt'))).toBe(false);
  });

  it('file tools refuse .., absolute paths, symlinks out of the workspace and .git; the sandbox backs each refusal', async () => {
    const token = sidekickHome(home).token;
    await client.create('agents', 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Agent',
      metadata: { name: 'paths' },
      spec: {
        driver: 'Scripted',
        tools: ['ReadFile', 'WriteFile', 'RunCommand'],
        script: [
          { tool: 'ReadFile', input: { path: '../../../../../../etc/hostname' } },
          { tool: 'ReadFile', input: { path: token } },
          { tool: 'WriteFile', input: { path: 'test.sh', content: `ln -s ${token} token-link; ln -s ${outside} out-link; echo linked\n` } },
          { tool: 'RunCommand', input: { command: 'sh test.sh' } },
          { tool: 'ReadFile', input: { path: 'token-link' } },
          { tool: 'WriteFile', input: { path: 'out-link/escaped.txt', content: 'x' } },
          { tool: 'WriteFile', input: { path: '.git/hooks/post-commit', content: '#!/bin/sh\necho pwned\n' } },
          { say: 'done' },
        ],
      },
    });
    await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'paths' }, spec: { session: 'sbx', agent: 'paths', repoMount: 'demo', prompt: 'escape' } });
    await eventually(async () => {
      const r = (await client.get('runs', 'default', 'paths')) as Run;
      if (r.status?.phase !== 'Completed') throw new Error(`phase ${r.status?.phase}`);
      return r;
    }, { timeoutMs: 30_000 });
    const results = (await fetchTimeline(client, 'sbx'))
      .filter((e) => (e.type === 'tool.result' || e.type === 'tool.error') && (e as { run?: string }).run === 'paths')
      .map((e) => ({ type: e.type, ...(e.payload as { tool: string; output: string }) }));
    const refused = results.filter((r) => r.tool !== 'RunCommand' && r.type === 'tool.error');
    expect(refused.map((r) => r.tool)).toEqual(['ReadFile', 'ReadFile', 'ReadFile', 'WriteFile', 'WriteFile']);
    expect(refused.map((r) => r.output)).toEqual([
      'path escapes the workspace: ../../../../../../etc/hostname',
      `path escapes the workspace: ${token}`,
      // Inside the sandbox the links' targets (SIDEKICK_HOME, a directory under the private /tmp) do not exist at all.
      'path is a symbolic link to a missing target: token-link',
      'path is a symbolic link to a missing target: out-link/escaped.txt',
      // A worktree's .git is a (read-only) pointer file, not a directory.
      'not a directory: .git/hooks/post-commit',
    ]);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
  });

  it('an agent cannot write the CLI settings in its HOME that would let Codex or Claude Code run commands without asking', async () => {
    const attack = [
      'echo \'prefix_rule(pattern=["touch"], decision="allow")\' > $HOME/.codex/rules/evil.rules && echo WROTE-RULES',
      'echo \'approval_policy = "never"\' >> $HOME/.codex/config.toml && echo WROTE-CODEX-CONFIG',
      'echo \'{"permissions":{"allow":["Bash"]}}\' > $HOME/.claude/settings.json && echo WROTE-CLAUDE-SETTINGS',
      'echo notes > $HOME/notes.txt && echo HOME-WRITABLE',
    ].join('\n');
    const { output } = await allowedCommandRuns('cli-settings', `${attack}\n`);
    for (const marker of ['WROTE-RULES', 'WROTE-CODEX-CONFIG', 'WROTE-CLAUDE-SETTINGS']) expect(output).not.toContain(marker);
    expect(output).toContain('HOME-WRITABLE');
  });

  it('an approved command cannot read SIDEKICK_HOME, ~/.ssh or ~/.npmrc', async () => {
    const { output } = await allowedCommandRuns('secrets', [`ls -a ${home}`, `cat ${join(userHome, '.ssh', 'id_ed25519')}`, `cat ${join(userHome, '.npmrc')}`, 'echo HOME=$HOME'].join('; ') + '\n');
    expect(output).not.toContain('sidekick.db');
    expect(output).not.toContain('sidekick.sock');
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain('npm_secret');
    expect(output).not.toContain(`HOME=${userHome}\n`);
    expect(output).toContain(`HOME=${join(home, 'agent-homes')}`);
  });

  it('the agent writes with the user\'s umask, not the daemon\'s private one', async () => {
    const userUmask = process.umask();
    const { output } = await allowedCommandRuns('umask', 'touch made.txt && stat -c %a made.txt\n');
    expect(output.trim()).toBe((0o666 & ~userUmask).toString(8));
  });

  it('every withheld variable class is absent from env inside a run', async () => {
    const { output } = await allowedCommandRuns('env', 'env\n');
    const names = output.split('\n').map((l) => l.split('=')[0]);
    for (const name of [...Object.keys(secrets), 'SIDEKICK_HOME']) expect(names).not.toContain(name);
    expect(names).toContain('PATH');
  });

  it('a command not approved for the network cannot connect to a local listener; one approved as NetworkAccess can', async () => {
    const before = connections;
    const probe = `node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('CONNECTED'); process.exit(0) }).on('error', (e) => { console.log('BLOCKED ' + e.code); process.exit(0) })"`;
    const { output } = await allowedCommandRuns('no-net', `${probe}\n`);
    expect(output).toContain('BLOCKED');
    expect(output).not.toContain('CONNECTED');
    expect(connections).toBe(before);

    // curl is classified NetworkAccess, which always asks: approve it as a person would.
    await client.create('agents', 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Agent',
      metadata: { name: 'net' },
      spec: { driver: 'Scripted', tools: ['RunCommand'], script: [{ tool: 'RunCommand', input: { command: `curl -s http://127.0.0.1:${port}/` } }, { say: 'done' }] },
    });
    await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'net' }, spec: { session: 'sbx', agent: 'net', repoMount: 'demo', prompt: 'fetch' } });
    const approval = await eventually(async () => {
      const list = (await client.raw('GET', `${GV}/approvals`)) as { items: { metadata: { name: string }; spec: { run: string; category: string } }[] };
      const found = list.items.find((a) => a.spec.run === 'net');
      if (!found) throw new Error(`no approval yet: ${JSON.stringify(((await client.get('runs', 'default', 'net')) as Run).status)}`);
      return found;
    }, { timeoutMs: 20_000 });
    expect(approval.spec.category).toBe('NetworkAccess');
    await client.raw('PATCH', `${GV}/approvals/${approval.metadata.name}`, { spec: { decision: { verdict: 'Approved', reason: 'test' } } }, 'application/merge-patch+json');
    await eventually(async () => {
      const r = (await client.get('runs', 'default', 'net')) as Run;
      if (r.status?.phase !== 'Completed') throw new Error(`phase ${r.status?.phase}`);
      return r;
    }, { timeoutMs: 20_000 });
    expect(await commandOutput('net')).toContain('hello');
    expect(connections).toBe(before + 1);
  }, 60_000);

  it('the socket refuses a caller without the owner token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: sidekickHome(home).socket, path: `${GV}/runs`, method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });
});
