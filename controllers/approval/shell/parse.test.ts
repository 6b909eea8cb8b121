import { describe, expect, it } from '@jest/globals';
import { parseShell } from './parse.js';

describe('parseShell', () => {
  it('splits at control operators and keeps quoted ones', () => {
    expect(parseShell('a && b; c | d "e && f"').map((c) => c.words)).toEqual([['a'], ['b'], ['c'], ['d', 'e && f']]);
  });

  it('removes quotes and escapes and decodes $\'…\'', () => {
    expect(parseShell(`FOO='a b' cmd "c\\"d" e\\ f $'g\\th' "\\x"`)[0]!.words).toEqual(['FOO=a b', 'cmd', 'c"d', 'e f', 'g\th', '\\x']);
  });

  it('lists substitutions before the command that holds them, and reads redirections', () => {
    const cmds = parseShell('echo "x $(date) y" 2>&1 > out.txt');
    expect(cmds).toEqual([
      { words: ['date'], redirects: [] },
      { words: ['echo', 'x $(date) y'], redirects: [{ op: '>&', target: '1' }, { op: '>', target: 'out.txt' }] },
    ]);
  });

  it('keeps here-document bodies as data', () => {
    const [cat, next] = parseShell("cat <<-'END' > f\n\tcurl x\n\tEND\nls");
    expect(cat!.redirects[0]).toEqual({ op: '<<-', target: 'END', body: '\tcurl x' });
    expect(next!.words).toEqual(['ls']);
  });
});
