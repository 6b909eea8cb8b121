/**
 * The real side effects of notifications: an HTTP POST with fetch, and a desktop notification by
 * spawning notify-send (Linux) or osascript (macOS) with the daemon's environment — the daemon runs
 * as the user, so it reaches the user's desktop session.
 */
import { execFile } from 'node:child_process';
import { findExecutable } from '../agent/probe.js';
import type { WebhookRequest } from './bodies.js';
import type { DesktopNotifier, Notifiers, WebhookPoster } from './transports.js';

/** POSTs with the platform's fetch; redirects are not followed (a webhook that moves is misconfigured). */
export class HttpWebhookPoster implements WebhookPoster {
  async post(url: string, request: WebhookRequest, signal: AbortSignal): Promise<number> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal, redirect: 'manual' });
    } catch (err) {
      // fetch says only "fetch failed"; the cause names it (connect ECONNREFUSED 127.0.0.1:9). Never the URL: it may be a secret.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(signal.aborted ? 'aborted' : (cause?.message ?? cause?.code ?? (err as Error).message));
    }
    // Read the (small) answer so the connection is reusable; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }
}

/** The command that shows a notification on a platform, as argv after the binary. */
function argvFor(platform: NodeJS.Platform, title: string, text: string): string[] {
  // osascript gets title and text as arguments of its run handler: nothing is spliced into the script.
  if (platform === 'darwin') return ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', title, text];
  return ['--app-name=Sidekicks', title, text];
}

/** notify-send on Linux (and other Unixes with libnotify), osascript on macOS. */
export class LocalDesktopNotifier implements DesktopNotifier {
  private readonly binary: string;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.binary = platform === 'darwin' ? 'osascript' : 'notify-send';
  }

  async unavailable(): Promise<string | undefined> {
    if (this.platform === 'win32') return 'desktop notifications need notify-send (Linux) or osascript (macOS); this is Windows';
    if (await findExecutable(this.binary, this.env)) return undefined;
    return this.platform === 'darwin' ? 'osascript not found on PATH' : 'notify-send not found on PATH (install libnotify-bin or libnotify)';
  }

  async show(title: string, text: string, signal: AbortSignal): Promise<void> {
    const binary = await findExecutable(this.binary, this.env);
    if (!binary) throw new Error(`${this.binary} not found on PATH`);
    await new Promise<void>((resolve, reject) => {
      execFile(binary, argvFor(this.platform, title, text), { env: this.env, signal, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
        if (!err) resolve();
        else reject(new Error(`${this.binary}: ${stderr.trim().split('\n')[0] || err.message}`));
      });
    });
  }
}

/** The notifiers of the daemon's machine. */
export function localNotifiers(env: NodeJS.ProcessEnv = process.env): Notifiers {
  return { webhook: new HttpWebhookPoster(), desktop: new LocalDesktopNotifier(env), env };
}
