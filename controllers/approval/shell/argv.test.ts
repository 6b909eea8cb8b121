import { describe, expect, it } from '@jest/globals';
import { afterOptions, hasFlag, operands, optionValues, quoteArgv, set, subcommand } from './argv.js';

const words = (line: string): string[] => (line ? line.split(' ') : []);

describe('argv reading', () => {
  it.each<[string, string[], string[]]>([
    ['-u root -E npm i', ['-u'], ['npm', 'i']],
    ['-E npm i', [], ['npm', 'i']],
    ['-- -x y', [], ['-x', 'y']],
    ['- x', [], ['-', 'x']],
    ['-a -b', [], []],
  ])('afterOptions(%j, valued %j) → %j', (args, valued, expected) => {
    expect(afterOptions(words(args), set(...valued))).toEqual(expected);
  });

  it.each<[string, string[], string[]]>([
    ['-o out https://x a', ['-o'], ['https://x', 'a']],
    ['-o out https://x a', [], ['out', 'https://x', 'a']],
    ['a -- -b c', [], ['a', '-b', 'c']],
    ['-', [], ['-']],
  ])('operands(%j, valued %j) → %j', (args, valued, expected) => {
    expect(operands(words(args), set(...valued))).toEqual(expected);
  });

  it.each<[string, string[], string[]]>([
    ['-o a', ['-o'], ['a']],
    ['-ob', ['-o'], ['b']],
    ['-so c', ['-o'], ['c']],
    ['--output d --output=e', ['--output'], ['d', 'e']],
    ['-o a --output b', ['-o', '--output'], ['a', 'b']],
    ['-- -o a', ['-o'], []],
    ['-o', ['-o'], []],
  ])('optionValues(%j, %j) → %j', (args, names, expected) => {
    expect(optionValues(words(args), names)).toEqual(expected);
  });

  it.each<[string, string[], string, boolean]>([
    ['--force', ['--force'], '', true],
    ['--force=yes', ['--force'], '', true],
    ['-fd', [], 'f', true],
    ['-xd', [], 'f', false],
    ['-- --force', ['--force'], 'f', false],
    ['--forceful', ['--force'], '', false],
  ])('hasFlag(%j, %j, %j) → %j', (args, longs, letters, expected) => {
    expect(hasFlag(words(args), longs, letters)).toBe(expected);
  });

  it.each<[string, string[], string | undefined, string[]]>([
    ['-C dir reset --hard', ['-C'], 'reset', ['--hard']],
    ['-C dir reset --hard', [], 'dir', ['reset', '--hard']],
    ['--verbose', [], undefined, []],
    ['-- run x', [], 'run', ['x']],
  ])('subcommand(%j, valued %j) → %j %j', (args, valued, sub, rest) => {
    expect(subcommand(words(args), set(...valued))).toEqual({ sub, rest });
  });

  it.each<[string[], string]>([
    [['bash', '-lc', 'npm install x'], "bash -lc 'npm install x'"],
    [['echo', "it's"], "echo 'it'\\''s'"],
    [['a=b', '/p/q.txt', 'x@y:1,2%'], 'a=b /p/q.txt x@y:1,2%'],
    [['', '$HOME'], "'' '$HOME'"],
  ])('quoteArgv(%j) → %j', (argv, expected) => {
    expect(quoteArgv(argv)).toBe(expected);
  });
});
