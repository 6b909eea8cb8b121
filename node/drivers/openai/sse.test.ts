import { describe, expect, it } from '@jest/globals';
import { parseSse, SseLineParser } from './sse.js';

async function* bytes(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function collect(...parts: string[]) {
  const out = [];
  for await (const e of parseSse(bytes(...parts))) out.push(e);
  return out;
}

describe('parseSse', () => {
  it.each([
    ['one event', ['data: {"a":1}\n\n'], [{ event: 'message', data: '{"a":1}' }]],
    ['multi-line data joined with LF', ['data: {\ndata: "a":1}\n\n'], [{ event: 'message', data: '{\n"a":1}' }]],
    ['comments ignored', [': keep-alive\n\ndata: x\n\n'], [{ event: 'message', data: 'x' }]],
    ['CRLF and CR line ends', ['data: a\r\n\r\ndata: b\r\rdata: c\n\n'], [{ event: 'message', data: 'a' }, { event: 'message', data: 'b' }, { event: 'message', data: 'c' }]],
    ['CRLF split across chunks', ['data: a\r', '\n\r', '\n'], [{ event: 'message', data: 'a' }]],
    ['an event split mid-field', ['da', 'ta: hel', 'lo\n', '\n'], [{ event: 'message', data: 'hello' }]],
    ['no space after colon', ['data:x\n\n'], [{ event: 'message', data: 'x' }]],
    ['event and id fields', ['event: error\nid: 7\ndata: x\n\n'], [{ event: 'error', data: 'x', id: '7' }]],
    ['an event without data is not dispatched', ['event: ping\n\n'], []],
    ['an unterminated last event is discarded', ['data: a\n\ndata: b'], [{ event: 'message', data: 'a' }]],
    ['a leading BOM is ignored', ['\uFEFFdata: a\n\n'], [{ event: 'message', data: 'a' }]],
  ])('%s', async (_name, parts, expected) => {
    expect(await collect(...parts)).toEqual(expected);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const encoded = new TextEncoder().encode('data: é\n\n');
    async function* split() {
      yield encoded.slice(0, 7);
      yield encoded.slice(7);
    }
    const out = [];
    for await (const e of parseSse(split())) out.push(e.data);
    expect(out).toEqual(['é']);
  });

  it('propagates a stream error (a dropped connection)', async () => {
    async function* broken() {
      yield new TextEncoder().encode('data: a\n\n');
      throw new Error('terminated');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of parseSse(broken())) seen.push(e.data);
      })(),
    ).rejects.toThrow('terminated');
    expect(seen).toEqual(['a']);
  });

  it('keeps state between feeds', () => {
    const p = new SseLineParser();
    expect(p.feed('data: 1\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'message', data: '1' }]);
  });
});
