/**
 * The Scripted demo agent `sidekick init` writes when no model is available: it lists the
 * repository's files, reads one, writes SIDEKICK_NOTES.md and says what it did — so a first run
 * completes on a machine with no model at all, in any repository.
 *
 * A script plays fixed steps (it cannot read a tool's output and decide), so the file it reads and
 * the note it writes are chosen here, from the files `init` saw; the run then does the real work
 * through the real tools, in its own worktree, and the note shows up in the run's diff. No
 * RunCommand step: every command asks for approval by default, and the demo must finish unattended.
 */
import type { AgentSpec } from '../../resources/kinds/agent.js';
import type { InitRepository } from './repository.js';

/** The note the demo agent writes, relative to the repository root. */
export const DEMO_NOTE = 'SIDEKICK_NOTES.md';

const README = /^readme(\.(md|markdown|txt|rst))?$/i;
const TEXT = /\.(md|txt|json|ya?ml|toml|ts|js|py|go|rs|java|c|h|rb|sh)$/i;

/** The Agent spec of the demo agent for this repository. */
export function demoAgentSpec(repo: InitRepository): AgentSpec {
  const read = fileToRead(repo.files);
  const top = topLevel(repo.files);
  const steps: NonNullable<AgentSpec['script']> = [
    { say: "I'm the Sidekicks demo agent (a script, no model). I'll look around this repository and leave a note." },
    { tool: 'ListFiles', input: { path: '.' } },
  ];
  if (read) steps.push({ tool: 'ReadFile', input: { path: read } });
  steps.push(
    { think: `${repo.files.length} tracked file${repo.files.length === 1 ? '' : 's'}; writing down what I saw.` },
    { tool: 'WriteFile', input: { path: DEMO_NOTE, content: note(repo, top, read) } },
    { say: `I listed the files${read ? `, read ${read}` : ''} and wrote ${DEMO_NOTE} with what I saw. The change is on this run's branch; \`sidekick merge run/<this run>\` brings it into your checkout.` },
  );
  return {
    driver: 'Scripted',
    instructions: 'Look around the repository and leave a short note about it.',
    tools: ['ListFiles', 'ReadFile', 'WriteFile'],
    maxTurns: 50,
    script: steps,
  };
}

/** A README at the top, else the first top-level text file, else the first tracked file. */
function fileToRead(files: string[]): string | undefined {
  const rootFiles = files.filter((f) => !f.includes('/'));
  return rootFiles.find((f) => README.test(f)) ?? rootFiles.find((f) => TEXT.test(f)) ?? files.find((f) => TEXT.test(f)) ?? files[0];
}

/** Top-level entries (directories with a trailing /), sorted. */
function topLevel(files: string[]): string[] {
  return [...new Set(files.map((f) => (f.includes('/') ? `${f.slice(0, f.indexOf('/'))}/` : f)))].sort();
}

function note(repo: InitRepository, top: string[], read: string | undefined): string {
  const shown = top.slice(0, 20);
  const lines = [
    `# Notes from the Sidekicks demo agent`,
    '',
    `This repository (${repo.name}) has ${repo.files.length} tracked file${repo.files.length === 1 ? '' : 's'}. At the top level:`,
    '',
    ...shown.map((e) => `- ${e}`),
    ...(top.length > shown.length ? [`- … and ${top.length - shown.length} more`] : []),
    '',
    read ? `I read \`${read}\`.` : 'There was no file to read.',
    '',
    'This note was written by a Scripted agent: `sidekick init` found no claude or codex CLI, no',
    'OpenAI-compatible endpoint and no Ollama model. Install one, then `sidekick init --agent-driver Claude`',
    '(or Codex, OpenAI) sets up a real agent.',
    '',
  ];
  return lines.join('\n');
}
