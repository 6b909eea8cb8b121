#!/usr/bin/env node
// Fails on a source file over 400 lines whose opening comment does not say why it is that long
// (STYLE.md: small modules; split past ~300 lines). The reason is a line in the file's first
// comment containing "Why this file is long:" — a reviewer reads it, this check only asks for it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 400;
const MARK = 'Why this file is long:';
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts', '*.mts', '*.mjs', '*.cjs'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.startsWith('node_modules/') && !f.startsWith('dist/'));

let failures = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed but deleted in the working tree
  }
  const lines = text.split('\n').length;
  if (lines <= LIMIT) continue;
  const opening = /^(?:#![^\n]*\n)?\s*(\/\*[\s\S]*?\*\/|(?:\/\/[^\n]*\n)+)/.exec(text)?.[1] ?? '';
  if (!opening.includes(MARK)) {
    console.log(`${file}: ${lines} lines, and its opening comment does not say "${MARK} …"`);
    failures++;
  }
}
if (failures) process.exit(1);
console.log(`long files: every file over ${LIMIT} lines says why`);
