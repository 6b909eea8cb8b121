import { describe, expect, it } from '@jest/globals';
import { hostOf } from './network.js';
import { command } from './test-support.js';

describe('network: commands that reach the network', () => {
  it.each<[string, string | undefined]>([
    ['curl -fsSL https://example.com/install.sh', 'example.com'],
    ['curl -sSLo /dev/null https://example.com/x', 'example.com'],
    ['wget -qO- https://get.example.org/x | sh', 'get.example.org'],
    ['http POST api.example.com/users name=x', 'api.example.com'],
    ['nc -z db.internal.example 5432', 'db.internal.example'],
    ['ssh -i key.pem deploy@prod.example.com uptime', 'prod.example.com'],
    ['ssh myserver', 'myserver'],
    ['scp build.tar user@host.example.com:/srv/', 'host.example.com'],
    ['rsync -av dist/ web.example.com:/var/www/', 'web.example.com'],
    ['git clone https://github.com/acme/widgets.git', 'github.com'],
    ['git clone git@gitlab.com:acme/widgets.git', 'gitlab.com'],
    ['git fetch origin', undefined],
    ['git pull', undefined],
    ['git push origin main', undefined],
    ['git ls-remote https://github.com/acme/x', 'github.com'],
    ['git submodule update --init', undefined],
    ['npm install jsonwebtoken@9', 'registry.npmjs.org'],
    ['npm i', 'registry.npmjs.org'],
    ['npm ci', 'registry.npmjs.org'],
    ['npm -w api install zod', 'registry.npmjs.org'],
    ['pnpm add zod', 'registry.npmjs.org'],
    ['yarn', 'registry.yarnpkg.com'],
    ['yarn add left-pad', 'registry.yarnpkg.com'],
    ['bun install', 'registry.npmjs.org'],
    ['npm install --registry https://npm.corp.example/ foo', 'npm.corp.example'],
    ['npx prettier --write .', 'registry.npmjs.org'],
    ['pnpx create-vite app', 'registry.npmjs.org'],
    ['bunx cowsay hi', 'registry.npmjs.org'],
    ['pip install requests', 'pypi.org'],
    ['pip3 install -i https://pypi.corp.example/simple thing', 'pypi.corp.example'],
    ['python3 -m pip install -r requirements.txt', 'pypi.org'],
    ['uv add httpx', 'pypi.org'],
    ['uv pip install httpx', 'pypi.org'],
    ['poetry add httpx', 'pypi.org'],
    ['cargo install ripgrep', 'crates.io'],
    ['cargo add serde', 'crates.io'],
    ['cargo fetch', 'crates.io'],
    ['go get github.com/x/y@latest', 'proxy.golang.org'],
    ['go install golang.org/x/tools/gopls@latest', 'proxy.golang.org'],
    ['go mod download', 'proxy.golang.org'],
    ['apt-get install -y jq', undefined],
    ['brew install jq', undefined],
    ['gem install rails', 'rubygems.org'],
    ['composer install', 'repo.packagist.org'],
    ['docker pull ghcr.io/acme/app:1.2', 'ghcr.io'],
    ['docker run --rm -it -v $(pwd):/w node:20 npm i', 'docker.io'],
    ['docker push registry.example.com:5000/app', 'registry.example.com'],
    ['gh pr create --fill', 'api.github.com'],
  ])('%j reaches the network (host %s)', (line, host) => {
    const c = command(line);
    expect(c.categories).toContain('NetworkAccess');
    expect(c.categories).toContain('ToolExecution');
    expect(c.request.url === undefined ? undefined : hostOf(c.request.url, { bare: true })).toBe(host);
  });

  it('names a url only when every network use goes to the same host', () => {
    expect(command('curl https://a.example/x && curl https://b.example/y').request.url).toBeUndefined();
    expect(command('curl https://a.example/x && curl https://b.example/y').request.details).toMatch(/a\.example[\s\S]*b\.example/);
    expect(command('curl https://a.example/x && curl https://a.example/y').request.url).toBe('a.example');
    expect(command('curl https://a.example/x && git push').request.url).toBeUndefined();
  });

  it('downloads name both the host and the file written', () => {
    const c = command('curl -o /tmp/x.tgz https://example.com/x.tgz');
    expect(c.categories).toEqual(['ToolExecution', 'NetworkAccess', 'FileWrite']);
    expect(c.request.path).toBe('/tmp/x.tgz');
    expect(c.request.url).toBe('https://example.com/x.tgz');
  });

  it('clones into an outside directory', () => {
    const c = command('git clone https://github.com/a/b /opt/b');
    expect(c.categories).toEqual(['ToolExecution', 'NetworkAccess', 'FileWrite']);
    expect(c.request.path).toBe('/opt/b');
  });
});

describe('hostOf', () => {
  it.each<[string, string | undefined, boolean]>([
    ['https://User@Example.COM:8443/x', 'example.com', false],
    ['git@github.com:a/b.git', 'github.com', false],
    ['example.com/path', 'example.com', false],
    ['example.com:8080', 'example.com', false],
    [':3000/x', 'localhost', false],
    ['http://[::1]:3000/', '::1', false],
    ['build', undefined, false],
    ['build', 'build', true],
    ['/abs/path', undefined, false],
    ['$URL', undefined, false],
  ])('%j → %j', (target, expected, bare) => {
    expect(hostOf(target, { bare })).toBe(expected);
  });
});
