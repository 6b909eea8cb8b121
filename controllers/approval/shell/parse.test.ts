import { describe, expect, it } from '@jest/globals';
import { MAX_DEPTH, parseShell, type Redirect, type SimpleCommand } from './parse.js';

/** A simple command: its words, then its redirections as `[op, target]` or whole Redirects. */
function cmd(words: string[], ...redirects: ([string, string] | Redirect)[]): SimpleCommand {
  return { words, redirects: redirects.map((r) => (Array.isArray(r) ? { op: r[0], target: r[1] } : r)) };
}

/** Each row: a command line → the simple commands it holds, in the order they run. */
type Row = [string, SimpleCommand[]];

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

  describe('words, quotes and escapes', () => {
    it.each<Row>([
      ['echo hello world', [cmd(['echo', 'hello', 'world'])]],
      ['  echo   spaced\tout\r', [cmd(['echo', 'spaced', 'out'])]],
      [`echo 'a b' "c d"`, [cmd(['echo', 'a b', 'c d'])]],
      [`echo a"b"'c'd`, [cmd(['echo', 'abcd'])]],
      [`echo '' ""`, [cmd(['echo', '', ''])]],
      ['echo a\\ b', [cmd(['echo', 'a b'])]],
      ['c\\url x', [cmd(['curl', 'x'])]],
      [`echo 'a\\b $X "q"'`, [cmd(['echo', 'a\\b $X "q"'])]],
      [`echo "a\\"b" "\\$X" "\\\\" "\\n"`, [cmd(['echo', 'a"b', '$X', '\\', '\\n'])]],
      [`echo $'a\\tb\\n' $'\\x41\\101' $'it\\'s'`, [cmd(['echo', 'a\tb\n', 'AA', "it's"])]],
      ['echo $HOME ${X:-y} "$Y"', [cmd(['echo', '$HOME', '${X:-y}', '$Y'])]],
      ['echo $((1 + 2))', [cmd(['echo', '$((1 + 2))'])]],
      ['FOO=1 BAR="x y" cmd arg', [cmd(['FOO=1', 'BAR=x y', 'cmd', 'arg'])]],
      ['echo a \\\nb', [cmd(['echo', 'a', 'b'])]],
      ['ec\\\nho x', [cmd(['echo', 'x'])]],
      ['ls # a comment; curl x', [cmd(['ls'])]],
      ['echo a#b', [cmd(['echo', 'a#b'])]],
      ['ls # comment\npwd', [cmd(['ls']), cmd(['pwd'])]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  describe('control operators', () => {
    it.each<Row>([
      ['a && b || c', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['a&&b||c', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['a; b;c', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['a | b |& c', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['a & b &', [cmd(['a']), cmd(['b'])]],
      ['a\nb\n\nc', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['(a; b) && c', [cmd(['a']), cmd(['b']), cmd(['c'])]],
      ['{ a; }', [cmd(['{', 'a']), cmd(['}'])]],
      ['if true; then a; fi', [cmd(['if', 'true']), cmd(['then', 'a']), cmd(['fi'])]],
      ['case x in y) a;; esac', [cmd(['case', 'x', 'in', 'y']), cmd(['a']), cmd(['esac'])]],
      [`echo "a && b" 'c; d' e\\|f`, [cmd(['echo', 'a && b', 'c; d', 'e|f'])]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  describe('substitutions run before the command that holds them', () => {
    it.each<Row>([
      ['echo $(date)', [cmd(['date']), cmd(['echo', '$(date)'])]],
      ['echo `date`', [cmd(['date']), cmd(['echo', '`date`'])]],
      ['echo "x $(a) `b` y"', [cmd(['a']), cmd(['b']), cmd(['echo', 'x $(a) `b` y'])]],
      ['echo $(echo $(date))', [cmd(['date']), cmd(['echo', '$(date)']), cmd(['echo', '$(echo $(date))'])]],
      ['echo $(a | b)', [cmd(['a']), cmd(['b']), cmd(['echo', '$(a | b)'])]],
      ['echo $(a ")" b)', [cmd(['a', ')', 'b']), cmd(['echo', '$(a ")" b)'])]],
      ['echo ${X:-$(a)}', [cmd(['a']), cmd(['echo', '${X:-$(a)}'])]],
      ['diff <(a) >(b)', [cmd(['a']), cmd(['b']), cmd(['diff', '<(a)', '>(b)'])]],
      [`echo '$(a)' "\\$(b)"`, [cmd(['echo', '$(a)', '$(b)'])]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  describe('redirections', () => {
    it.each<Row>([
      ['cmd > out', [cmd(['cmd'], ['>', 'out'])]],
      ['cmd>out', [cmd(['cmd'], ['>', 'out'])]],
      ['cmd >> log < in', [cmd(['cmd'], ['>>', 'log'], ['<', 'in'])]],
      ['cmd &> both &>> more', [cmd(['cmd'], ['&>', 'both'], ['&>>', 'more'])]],
      ['cmd >| clobber <> rw', [cmd(['cmd'], ['>|', 'clobber'], ['<>', 'rw'])]],
      ['cmd 2>&1 >&2 <&3', [cmd(['cmd'], ['>&', '1'], ['>&', '2'], ['<&', '3'])]],
      ['cmd 2> err', [cmd(['cmd'], ['>', 'err'])]],
      ['cmd {fd}> file', [cmd(['cmd'], ['>', 'file'])]],
      ['cmd "2"> file a2> f2', [cmd(['cmd', '2', 'a2'], ['>', 'file'], ['>', 'f2'])]],
      ['cmd > "my file"', [cmd(['cmd'], ['>', 'my file'])]],
      ['cmd <<< "a string"', [cmd(['cmd'], ['<<<', 'a string'])]],
      ['> only-a-file', [cmd([], ['>', 'only-a-file'])]],
      ['a > x | b > y', [cmd(['a'], ['>', 'x']), cmd(['b'], ['>', 'y'])]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  describe('here-documents', () => {
    it.each<Row>([
      ['cat <<EOF\nhello\nworld\nEOF\nls', [cmd(['cat'], { op: '<<', target: 'EOF', body: 'hello\nworld' }), cmd(['ls'])]],
      ['cat <<-EOF\n\tx\n\tEOF', [cmd(['cat'], { op: '<<-', target: 'EOF', body: '\tx' })]],
      ['cat <<A <<B\na\nA\nb\nB', [cmd(['cat'], { op: '<<', target: 'A', body: 'a' }, { op: '<<', target: 'B', body: 'b' })]],
      ['cat <<EOF > f\nx\nEOF', [cmd(['cat'], { op: '<<', target: 'EOF', body: 'x' }, ['>', 'f'])]],
      // An unquoted delimiter: the body's substitutions run (after the command line that holds it is read).
      ['cat <<EOF\n$(a) `b`\nEOF', [cmd(['cat'], { op: '<<', target: 'EOF', body: '$(a) `b`' }), cmd(['a']), cmd(['b'])]],
      // A quoted delimiter, even partly quoted: the body is data.
      ["cat <<'EOF'\n$(a)\nEOF", [cmd(['cat'], { op: '<<', target: 'EOF', body: '$(a)' })]],
      ['cat <<E"O"F\n$(a)\nEOF', [cmd(['cat'], { op: '<<', target: 'EOF', body: '$(a)' })]],
      ['bash <<EOF\ngit push\nEOF', [cmd(['bash'], { op: '<<', target: 'EOF', body: 'git push' })]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  describe('malformed input still reads, and never throws', () => {
    it.each<Row>([
      ['', []],
      ['   \n\t', []],
      [';; && | ;', []],
      [')(', []],
      ['echo "unterminated && curl x', [cmd(['echo', 'unterminated && curl x'])]],
      ["echo 'open; rm x", [cmd(['echo', 'open; rm x'])]],
      ['echo $(unclosed', [cmd(['unclosed']), cmd(['echo', '$(unclosed'])]],
      ['echo `unclosed', [cmd(['unclosed']), cmd(['echo', '`unclosed'])]],
      ['echo ${unclosed', [cmd(['echo', '${unclosed'])]],
      ['echo trailing\\', [cmd(['echo', 'trailing'])]],
      ['cmd >', [cmd(['cmd'])]],
      ['cmd > ; next', [cmd(['cmd']), cmd(['next'])]],
      ['cat <<EOF\nno delimiter', [cmd(['cat'], { op: '<<', target: 'EOF', body: 'no delimiter' })]],
      ['cat <<EOF', [cmd(['cat'], ['<<', 'EOF'])]],
    ])('%j', (line, expected) => {
      expect(parseShell(line)).toEqual(expected);
    });
  });

  it(`stands an opaque command in for a script nested deeper than ${MAX_DEPTH} levels`, () => {
    expect(parseShell('echo $(a)', MAX_DEPTH)).toEqual([{ words: [], redirects: [], opaque: true }, cmd(['echo', '$(a)'])]);
    expect(parseShell('echo $(a)', MAX_DEPTH - 1)).toEqual([cmd(['a']), cmd(['echo', '$(a)'])]);
  });
});
