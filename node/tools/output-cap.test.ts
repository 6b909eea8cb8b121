import { describe, expect, it } from '@jest/globals';
import { HeadTailBuffer } from './output-cap.js';

describe('HeadTailBuffer', () => {
  it('keeps everything under the cap', () => {
    const b = new HeadTailBuffer(10);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('defg'));
    expect(b.text()).toBe('abcdefg');
    expect(b.truncated).toBe(false);
  });

  it('keeps exactly the cap without a marker', () => {
    const b = new HeadTailBuffer(10);
    b.push(Buffer.from('0123456789'));
    expect(b.text()).toBe('0123456789');
    expect(b.truncated).toBe(false);
  });

  it('keeps head and tail halves across many chunks and says how much was dropped', () => {
    const b = new HeadTailBuffer(10);
    for (const ch of 'abcdefghijklmnopqrstuvwxyz') b.push(Buffer.from(ch));
    expect(b.truncated).toBe(true);
    expect(b.text()).toBe('abcde\n[... 16 bytes of output omitted ...]\nvwxyz');
  });

  it('handles one large chunk', () => {
    const b = new HeadTailBuffer(4);
    b.push(Buffer.from('123456789'));
    expect(b.text()).toBe('12\n[... 5 bytes of output omitted ...]\n89');
  });
});
