/**
 * Approval rule NetworkAccess for commands: curl, wget, httpie, nc, ssh, scp, sftp, rsync to
 * `host:`, ping/dig/…; npm/pnpm/yarn/bun installs and registry commands; npx/pnpx/bunx/uvx
 * always (the package may not be installed); pip/uv/poetry/pipx, cargo, go get/install/mod
 * download, gem, bundle, composer, apt/dnf/apk/brew/…; docker pull, push, run, create; gh, glab
 * and cloud CLIs (aws, gcloud, kubectl, …). The host is the URL's, the registry's
 * (`--registry`/`--index-url` honoured, config files not read) or the image's. git's remotes are
 * judged in git.ts.
 */
import { hasFlag, NONE, operands, optionValues, set, subcommand } from '../shell/argv.js';

/** One command's use of the network: what does it, and the host (and URL) when they can be told. */
export interface NetworkUse {
  what: string;
  host?: string;
  url?: string;
}

/** The host a URL, `host[:port][/path]` or `[user@]host:path` reaches, lower-cased; undefined when unclear. */
export function hostOf(target: string, opts: { bare?: boolean } = {}): string | undefined {
  const t = target.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      return new URL(t).hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
    } catch {
      return undefined;
    }
  }
  if (t.startsWith(':')) return 'localhost'; // httpie's `:3000/path`
  const m = /^(?:[^@/\s]+@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?=$|[:/])/.exec(t);
  if (!m) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  // Without a dot a word is more likely a file or a remote name than a host, unless the tool takes hosts only.
  return opts.bare || host.includes('.') || host.includes(':') || host === 'localhost' ? host : undefined;
}

const CURL_VALUED = set(
  '-o', '-H', '-d', '-X', '-u', '-A', '-e', '-b', '-c', '-T', '-F', '-x', '-w', '-m', '-K', '-E', '-r', '-C', '-Y', '-y', '-z', '-U', '-Q', '-t',
  '--output', '--header', '--data', '--data-raw', '--data-binary', '--data-urlencode', '--data-ascii', '--json', '--request', '--user',
  '--user-agent', '--referer', '--cookie', '--cookie-jar', '--upload-file', '--form', '--form-string', '--proxy', '--write-out', '--max-time',
  '--connect-timeout', '--config', '--cert', '--key', '--cacert', '--capath', '--range', '--continue-at', '--retry', '--retry-delay',
  '--retry-max-time', '--resolve', '--connect-to', '--output-dir', '--proxy-user', '--oauth2-bearer', '--limit-rate', '--max-filesize',
  '--interface', '--dns-servers', '--url-query', '--variable', '--url',
);
const WGET_VALUED = set(
  '-O', '-o', '-a', '-P', '-e', '-U', '-t', '-T', '-w', '-i', '-B', '-Q', '-l', '-D', '-X', '-I', '-R', '-A', '--header', '--user', '--password',
  '--post-data', '--post-file', '--output-document', '--output-file', '--directory-prefix', '--user-agent', '--tries', '--timeout', '--wait',
  '--input-file', '--referer',
);
const HTTPIE_VALUED = set(
  '-a', '--auth', '-A', '--auth-type', '--session', '--session-read-only', '-o', '--output', '--verify', '--cert', '--cert-key', '--proxy',
  '--timeout', '--max-redirects', '--pretty', '-s', '--style', '-p', '--print', '--format-options', '--boundary', '--ssl', '--ciphers',
  '--default-scheme',
);
const SSH_VALUED = set('-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-o', '-p', '-Q', '-R', '-S', '-W', '-w', '-B', '-P');
const NC_VALUED = set('-p', '-s', '-w', '-i', '-q', '-x', '-X', '-e', '-c', '-O', '-I', '-T', '-V', '-W', '-M', '-m');
const RSYNC_VALUED = set(
  '-e', '--rsh', '-f', '--filter', '--exclude', '--include', '-B', '-T', '--port', '--password-file', '--log-file', '--chmod', '--chown', '-M',
);
const HOST_TOOLS: Record<string, ReadonlySet<string>> = {
  ssh: SSH_VALUED,
  sftp: SSH_VALUED,
  ftp: NONE,
  telnet: NONE,
  nc: NC_VALUED,
  ncat: NC_VALUED,
  netcat: NC_VALUED,
  ping: set('-c', '-i', '-w', '-W', '-s', '-t', '-I', '-l', '-p', '-Q', '-S', '-M'),
  ping6: set('-c', '-i', '-w', '-W', '-s', '-t', '-I'),
  traceroute: set('-f', '-m', '-p', '-q', '-s', '-w', '-i'),
  mtr: set('-c', '-i', '-s'),
  whois: set('-h', '-p'),
  dig: set('-p', '-b', '-t', '-c', '-x', '-f', '-k', '-y', '-q'),
  nslookup: NONE,
  host: set('-t', '-c', '-W', '-R', '-m'),
  nmap: set('-p', '-o', '-oN', '-oX', '-oG', '-iL', '-e', '-S'),
};

/** Whether a command reaches the network, and where (git: gitNetwork in git.ts). */
export function networkUse(name: string, args: string[]): NetworkUse | undefined {
  if (/^pip\d*(\.\d+)?$/.test(name)) return pipUse(name, args);
  if (/^python\d*(\.\d+)?$/.test(name)) {
    const m = args.findIndex((a) => a === '-m' || a === '-mpip');
    if (m >= 0 && (args[m] === '-mpip' || args[m + 1] === 'pip')) return pipUse('python -m pip', args.slice(args[m] === '-mpip' ? m + 1 : m + 2));
    return undefined;
  }
  const hostValued = HOST_TOOLS[name];
  if (hostValued) {
    const listening = (name === 'nc' || name === 'ncat' || name === 'netcat') && hasFlag(args, ['--listen'], 'l');
    const target = operands(args, hostValued).find((o) => !o.startsWith('@'));
    const host = !listening && target ? hostOf(target, { bare: true }) : undefined;
    return { what: name, ...(host ? { host } : {}) };
  }
  switch (name) {
    case 'curl': {
      const urls = [...optionValues(args, ['--url']), ...operands(args, CURL_VALUED)];
      return urlUse(name, urls.find((u) => hostOf(u) !== undefined) ?? urls[0]);
    }
    case 'wget':
      return urlUse(name, operands(args, WGET_VALUED)[0]);
    case 'http':
    case 'https':
    case 'xh':
    case 'xhs': {
      const ops = operands(args, HTTPIE_VALUED);
      return urlUse(name, /^[A-Z]+$/.test(ops[0] ?? '') ? ops[1] : ops[0]);
    }
    case 'scp':
    case 'rsync': {
      const ops = operands(args, name === 'scp' ? SSH_VALUED : RSYNC_VALUED);
      const remote = ops.find((o) => /^(rsync|scp|sftp):\/\//.test(o) || /^(?:[^@/\s]+@)?[A-Za-z0-9.-]+:/.test(o));
      if (!remote && name === 'rsync') return undefined; // a local copy
      const host = remote ? hostOf(remote, { bare: true }) : undefined;
      return { what: name, ...(host ? { host } : {}) };
    }
    case 'npm':
    case 'pnpm':
    case 'yarn':
    case 'bun':
    case 'npx':
    case 'pnpx':
    case 'bunx':
      return nodePackagesUse(name, args);
    default:
      return packageManagerUse(name, args);
  }
}

function urlUse(name: string, target: string | undefined): NetworkUse {
  const host = target ? hostOf(target) : undefined;
  return { what: name, ...(host ? { host } : {}), ...(host && /^[a-z]+:\/\//i.test(target!) ? { url: target } : {}) };
}

function registryHost(args: string[], fallback: string): string {
  const registry = optionValues(args, ['--registry', '--index-url', '-i', '--index'])[0];
  return (registry && hostOf(registry)) || fallback;
}

const NPM_NETWORK = set(
  'install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean',
  'update', 'up', 'upgrade', 'udpate', 'install-test', 'it', 'install-ci-test', 'cit', 'exec', 'x', 'create', 'publish', 'unpublish', 'view', 'v',
  'info', 'show', 'outdated', 'audit', 'search', 'login', 'adduser', 'whoami', 'dist-tag', 'deprecate', 'owner', 'access', 'dedupe', 'doctor',
  'ping',
);
const PNPM_NETWORK = set(
  'install', 'i', 'add', 'update', 'up', 'upgrade', 'fetch', 'dlx', 'create', 'publish', 'outdated', 'audit', 'view', 'info', 'install-test', 'it',
);
const YARN_NETWORK = set(
  'install', 'add', 'up', 'upgrade', 'upgrade-interactive', 'dlx', 'create', 'publish', 'info', 'npm', 'outdated', 'audit', 'global', 'set',
);
const BUN_NETWORK = set('install', 'i', 'add', 'a', 'update', 'upgrade', 'x', 'create', 'publish', 'outdated', 'info');
export const NODE_VALUED: Record<string, ReadonlySet<string>> = {
  npm: set('--prefix', '-w', '--workspace', '--registry', '--cache', '--userconfig', '--loglevel'),
  pnpm: set('-C', '--dir', '--filter', '-F', '--registry', '--loglevel'),
  yarn: set('--cwd', '--registry'),
  bun: set('--cwd', '--registry'),
};

/** npm and friends: installs, exec/dlx and registry commands reach the registry; `npx` always may. */
function nodePackagesUse(name: string, args: string[]): NetworkUse | undefined {
  if (hasFlag(args, ['--offline', '--no-install'])) return undefined;
  const host = registryHost(args, name === 'yarn' ? 'registry.yarnpkg.com' : 'registry.npmjs.org');
  if (name === 'npx' || name === 'pnpx' || name === 'bunx') return { what: name, host };
  const { sub, rest } = subcommand(args, NODE_VALUED[name]);
  const network =
    name === 'npm' ? NPM_NETWORK.has(sub ?? '') || (sub === 'init' && operands(rest).length > 0)
    : name === 'pnpm' ? PNPM_NETWORK.has(sub ?? '')
    : name === 'yarn' ? (sub === undefined && !hasFlag(args, ['--version', '--help'], 'vh')) || YARN_NETWORK.has(sub ?? '')
    : BUN_NETWORK.has(sub ?? '');
  return network ? { what: `${name} ${sub ?? 'install'}`, host } : undefined;
}

function pipUse(name: string, args: string[]): NetworkUse | undefined {
  const { sub } = subcommand(args, set('-r', '--requirement', '-c', '--constraint', '-i', '--index-url', '--extra-index-url', '-t', '--target', '--prefix', '--root'));
  if (!['install', 'download', 'wheel', 'index', 'search'].includes(sub ?? '') || hasFlag(args, ['--no-index'])) return undefined;
  return { what: `${name} ${sub}`, host: registryHost(args, 'pypi.org') };
}

/** Package managers by subcommand: name → [subcommands that fetch, the default host (none: a system package manager)]. */
export const PACKAGE_MANAGERS: Record<string, [ReadonlySet<string>, string | undefined]> = {
  uv: [set('add', 'sync', 'lock', 'remove', 'pip', 'tool', 'python', 'self'), 'pypi.org'],
  poetry: [set('add', 'install', 'update', 'lock', 'remove', 'search', 'publish', 'self'), 'pypi.org'],
  pipx: [set('install', 'run', 'upgrade', 'upgrade-all', 'inject', 'reinstall'), 'pypi.org'],
  conda: [set('install', 'create', 'update', 'upgrade', 'search'), undefined],
  mamba: [set('install', 'create', 'update', 'upgrade', 'search'), undefined],
  cargo: [set('install', 'add', 'fetch', 'update', 'search', 'publish', 'login', 'generate-lockfile'), 'crates.io'],
  go: [set('get', 'install', 'mod'), 'proxy.golang.org'],
  gem: [set('install', 'update', 'fetch', 'push', 'search'), 'rubygems.org'],
  bundle: [set('install', 'update', 'add', 'outdated'), 'rubygems.org'],
  bundler: [set('install', 'update', 'add', 'outdated'), 'rubygems.org'],
  composer: [set('install', 'require', 'update', 'create-project', 'outdated', 'self-update', 'global'), 'repo.packagist.org'],
  apt: [set('install', 'update', 'upgrade', 'dist-upgrade', 'full-upgrade', 'source', 'download', 'build-dep', 'reinstall'), undefined],
  'apt-get': [set('install', 'update', 'upgrade', 'dist-upgrade', 'source', 'download', 'build-dep', 'reinstall'), undefined],
  aptitude: [set('install', 'update', 'upgrade', 'safe-upgrade', 'full-upgrade', 'download', 'reinstall'), undefined],
  dnf: [set('install', 'update', 'upgrade', 'makecache', 'download', 'reinstall'), undefined],
  yum: [set('install', 'update', 'upgrade', 'makecache', 'reinstall'), undefined],
  apk: [set('add', 'update', 'upgrade', 'fetch'), undefined],
  zypper: [set('install', 'in', 'update', 'up', 'refresh', 'ref', 'dist-upgrade', 'dup'), undefined],
  brew: [set('install', 'upgrade', 'update', 'fetch', 'tap', 'reinstall', 'bundle', 'search'), undefined],
  gh: [set(), 'api.github.com'],
  glab: [set(), 'gitlab.com'],
};
/** CLIs that talk to a remote service on nearly every invocation. */
const REMOTE_CLIS = set('aws', 'gcloud', 'gsutil', 'az', 'kubectl', 'helm', 'doctl', 'flyctl', 'fly', 'heroku', 'vercel', 'netlify');

function packageManagerUse(name: string, args: string[]): NetworkUse | undefined {
  if (name === 'uvx') return { what: name, host: registryHost(args, 'pypi.org') };
  if (name === 'pacman') return args.some((a) => /^-[a-zA-Z]*S/.test(a) || /^-[a-zA-Z]*U/.test(a)) ? { what: 'pacman -S' } : undefined;
  if (name === 'docker' || name === 'podman' || name === 'nerdctl') return containerUse(name, args);
  if (REMOTE_CLIS.has(name)) return args.length && !hasFlag(args, ['--help', '--version', '--client']) ? { what: name } : undefined;
  const known = PACKAGE_MANAGERS[name];
  if (!known) return undefined;
  const [subs, host] = known;
  const { sub, rest } = subcommand(args, set('-C', '--manifest-path', '-d', '--directory', '--project'));
  const fetches =
    name === 'gh' || name === 'glab' ? sub !== undefined && !['help', 'completion', 'version', 'config', 'alias'].includes(sub)
    : name === 'go' && sub === 'mod' ? ['download', 'tidy'].includes(operands(rest)[0] ?? '')
    : name === 'uv' && (sub === 'pip' || sub === 'tool' || sub === 'python') ? ['install', 'compile', 'sync', 'download', 'run', 'upgrade'].includes(operands(rest)[0] ?? '')
    : subs.has(sub ?? '');
  if (!fetches) return undefined;
  const h = name === 'gh' || name === 'glab' ? host : registryHost(args, host ?? '');
  return { what: `${name} ${sub}`, ...(h ? { host: h } : {}) };
}

const DOCKER_RUN_VALUED = set(
  '-a', '--attach', '-c', '--cpu-shares', '--cidfile', '--cpus', '--cpuset-cpus', '-e', '--env', '--env-file', '--entrypoint', '--expose', '-h',
  '--hostname', '--ip', '-l', '--label', '--label-file', '--log-driver', '--log-opt', '-m', '--memory', '--mount', '--name', '--network', '--net',
  '--network-alias', '-p', '--publish', '--platform', '--pull', '--restart', '--runtime', '--security-opt', '--shm-size', '--stop-signal',
  '--stop-timeout', '--tmpfs', '-u', '--user', '--ulimit', '-v', '--volume', '--volumes-from', '-w', '--workdir', '--gpus', '--add-host', '--device',
  '--dns', '--group-add', '--cap-add', '--cap-drop', '--pid', '--ipc', '--uts', '--userns', '--health-cmd',
);

/** docker/podman: pulling, pushing or running an image reaches its registry (docker.io unless named). */
function containerUse(name: string, args: string[]): NetworkUse | undefined {
  let { sub, rest } = subcommand(args, set('-H', '--host', '--context', '-c', '--config', '-l', '--log-level'));
  if ((sub === 'image' || sub === 'container') && rest.length) ({ sub, rest } = subcommand(rest));
  if (sub === 'compose') {
    const c = subcommand(rest, set('-f', '--file', '-p', '--project-name', '--profile', '--env-file', '--project-directory'));
    return ['pull', 'push', 'up', 'run', 'create'].includes(c.sub ?? '') ? { what: `${name} compose ${c.sub}` } : undefined;
  }
  if (sub === 'login' || sub === 'search') {
    const target = operands(rest, set('-u', '--username', '-p', '--password', '-f', '--filter', '--limit', '--format'))[0];
    return { what: `${name} ${sub}`, host: (sub === 'login' && target && hostOf(target, { bare: true })) || 'docker.io' };
  }
  if (!['pull', 'push', 'run', 'create'].includes(sub ?? '')) return undefined;
  const image = operands(rest, DOCKER_RUN_VALUED)[0];
  return { what: `${name} ${sub}${image ? ` ${image}` : ''}`, ...(image ? { host: imageRegistry(image) } : {}) };
}

function imageRegistry(image: string): string {
  const first = image.split('/')[0]!;
  const named = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return named ? first.replace(/:\d+$/, '').toLowerCase() : 'docker.io';
}
