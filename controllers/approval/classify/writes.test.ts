import { describe, expect, it } from '@jest/globals';
import { tool, command, categories } from './test-support.js';

describe('writes: commands', () => {
  it.each<[string, string]>([
    ['echo hi > /etc/motd', '/etc/motd'],
    ['echo hi >> ~/.bashrc', '~/.bashrc'],
    ['echo x > $HOME/.profile', '$HOME/.profile'],
    ['cat x | tee -a /tmp/out.log', '/tmp/out.log'],
    ['cp dist/app /usr/local/bin/app', '/usr/local/bin/app'],
    ['cp -t /opt/app dist/a dist/b', '/opt/app'],
    ['mv build ../elsewhere/', '/work/elsewhere'],
    ['rm -rf /tmp/cache', '/tmp/cache'],
    ['touch ../sibling.txt', '/work/sibling.txt'],
    ['cd /tmp && echo x > notes.txt', '/tmp/notes.txt'],
    ['cd .. && rm -rf ws2', '/work/ws2'],
    ['cd ~ && touch x', '~/x'],
    ['cd && cd projects && echo x > y', '~/projects/y'],
    ['mv /etc/passwd ./pw', '/etc/passwd'],
    ['echo a > >(tee /tmp/x)', '/tmp/x'],
    ['printf x | sudo tee /etc/apt/sources.list.d/x.list >/dev/null', '/etc/apt/sources.list.d/x.list'],
    ['unzip x.zip -d /opt/x', '/opt/x'],
    ['(cd inner) && echo x > ../x', '/work/x'],
    ['(cd /tmp; echo x > in-tmp) && echo y > /work/ws/ok', '/tmp/in-tmp'],
    ['sed -i s/a/b/ /etc/hosts', '/etc/hosts'],
    ["perl -pi -e 's/a/b/' /etc/hosts", '/etc/hosts'],
    ['tar -xzf x.tgz -C /opt', '/opt'],
    ['tar czf /tmp/backup.tgz src', '/tmp/backup.tgz'],
    ['dd if=/dev/zero of=/dev/sda bs=1M', '/dev/sda'],
    ['ln -s /work/ws/bin/tool /usr/local/bin/tool', '/usr/local/bin/tool'],
    ['echo x > "$PWD/../out"', '/work/out'],
    ['echo hi &> /tmp/both.log', '/tmp/both.log'],
    ['chmod 600 /etc/ssh/key', '/etc/ssh/key'],
    ['find /tmp -name "*.log" -delete', '/tmp'],
    ['find /var/log -name x -exec rm {} +', '/var/log'],
  ])('%j writes outside the workspace (%s)', (line, path) => {
    const c = command(line);
    expect(c.categories).toContain('FileWrite');
    expect(c.request.path).toBe(path);
  });

  it.each([
    'echo x > /dev/null',
    'npm test 2>/dev/null',
    'echo x > build/out.txt',
    'echo x > /work/ws/build/out.txt',
    'cp a b',
    'touch ./a/../b',
    "find . -name '*.tmp' -exec rm {} \\;",
    'chmod +x scripts/run.sh',
    'sed -n s/a/b/p /etc/hosts',
    'cd $(git rev-parse --show-toplevel) && echo x > out',
    'cd ~ && ls',
  ])('%j writes nothing outside', (line) => {
    expect(categories(line)).not.toContain('FileWrite');
  });

  it('global and system installs write outside without naming a path', () => {
    for (const line of ['npm install -g typescript', 'sudo apt-get install -y jq', 'cargo install ripgrep', 'yarn global add serve']) {
      const c = command(line);
      expect(c.categories).toEqual(['ToolExecution', 'NetworkAccess', 'FileWrite']);
      expect(c.request.path).toBeUndefined();
      expect(c.request.details).toMatch(/writes outside the workspace: .*(global|system|bin)/);
    }
  });

  it('a workspace root with a trailing slash is the same root', () => {
    expect(command('echo x > /work/ws/a.txt', '/work/ws/').categories).toEqual(['ToolExecution']);
    expect(command('echo x > /work/wsx/a.txt', '/work/ws/').categories).toContain('FileWrite');
  });

  it('without an absolute workspace every write counts as outside (fail closed)', () => {
    expect(command('echo x > out.txt', '').categories).toContain('FileWrite');
    expect(command('npm test', '').categories).toEqual(['ToolExecution']);
  });

  it('names a path only when it is the only one written outside', () => {
    const c = command('echo a > /tmp/a && echo b > /tmp/b');
    expect(c.categories).toContain('FileWrite');
    expect(c.request.path).toBeUndefined();
    expect(c.request.details).toContain('/tmp/a');
    expect(c.request.details).toContain('/tmp/b');
  });

  it('resolves relative writes against the command cwd', () => {
    expect(tool('RunCommand', { command: 'touch a', cwd: '../other' }).request.path).toBe('/work/other/a');
    expect(tool('RunCommand', { command: 'touch a', cwd: 'sub' }).categories).toEqual(['ToolExecution']);
  });
});

describe('writes: WriteFile and EditFile', () => {
  it.each<[string, Record<string, unknown>]>([
    ['ReadFile', { path: '../../etc/passwd' }],
    ['ListFiles', {}],
    ['WriteFile', { path: 'src/a.ts', content: 'x' }],
    ['EditFile', { path: '/work/ws/src/a.ts', oldText: 'a', newText: 'b' }],
  ])('our %s %j needs nothing', (name, input) => {
    expect(tool(name, input).categories).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['WriteFile', { path: '../x', content: 'x' }, '/work/x'],
    ['EditFile', { path: '/etc/hosts', oldText: 'a', newText: 'b' }, '/etc/hosts'],
    ['WriteFile', { path: 'src/../../escape.txt', content: '' }, '/work/escape.txt'],
    ['WriteFile', { path: '~/.ssh/authorized_keys', content: '' }, '~/.ssh/authorized_keys'],
  ])('our %s %j outside the workspace is FileWrite', (name, input, path) => {
    const c = tool(name, input);
    expect(c.categories).toEqual(['FileWrite']);
    expect(c.request.path).toBe(path);
    expect(c.request.tool).toBe(name);
  });

  it('a write with no readable path asks (fail closed)', () => {
    expect(tool('WriteFile', { content: 'x' }).categories).toEqual(['FileWrite']);
  });
});
