/**
 * Reads the repository's Dockerfile into its stages and instructions, so tests can hold the image
 * and the chart together without a Docker daemon (none can build here: base images come from a
 * registry this machine cannot reach).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helm-chart.js';

export interface Instruction {
  keyword: string;
  /** The instruction's text after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages in order; comments and blank lines dropped, `\` continuations joined. */
export function dockerStages(path = join(ROOT, 'Dockerfile')): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const text of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/s.exec(text) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args.trim()) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile: ${upper} before the first FROM`);
      stages[stages.length - 1].instructions.push({ keyword: upper, args: args.trim() });
    }
  }
  return stages;
}

/** The arguments of every instruction with this keyword in a stage. */
export function instructionsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** An exec-form (JSON array) ENTRYPOINT or CMD; a shell form throws (it would wrap the command in `sh -c`). */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** The ENV of a stage as name → value (`ENV A=1 B=2` form; later ones win). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructionsOf(stage, 'ENV')) {
    for (const [, name, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[name] = value.replace(/^"|"$/g, '');
  }
  return env;
}

/** The image's ENTRYPOINT and WORKDIR (the last of each in the final stage). */
export function imageEntrypoint(stages = dockerStages()): { entrypoint: string[]; cmd: string[]; workdir: string } {
  const final = stages[stages.length - 1];
  const last = (keyword: string) => instructionsOf(final, keyword).at(-1);
  const entrypoint = last('ENTRYPOINT');
  if (!entrypoint) throw new Error('Dockerfile: the final stage has no ENTRYPOINT');
  const cmd = last('CMD');
  return { entrypoint: execForm(entrypoint), cmd: cmd ? execForm(cmd) : [], workdir: last('WORKDIR') ?? '/' };
}
