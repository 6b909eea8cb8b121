import { describe, expect, it } from '@jest/globals';
import { JsonRpcPeer, RpcError, RpcErrorCode, RpcHandlerError } from './rpc.js';
import type { Json } from '../json-lines.js';

/** A peer whose output is recorded; `onRequest` answers the other side's requests. */
function peer(onRequest: (method: string, params: Json) => Promise<unknown> = async () => ({})) {
  const sent: Json[] = [];
  const notes: [string, Json][] = [];
  const malformed: string[] = [];
  let open = true;
  const p = new JsonRpcPeer({
    write: (line) => {
      if (open) sent.push(JSON.parse(line) as Json);
      return open;
    },
    onNotification: (method, params) => notes.push([method, params]),
    onRequest,
    onMalformed: (_line, why) => malformed.push(why),
  });
  return { p, sent, notes, malformed, hangUp: () => (open = false) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('JsonRpcPeer', () => {
  it('sends requests without the jsonrpc member and matches responses by id, in any order', async () => {
    const { p, sent } = peer();
    const a = p.request('thread/start', { cwd: '/w' });
    const b = p.request('turn/start', { threadId: 't' });
    expect(sent).toEqual([
      { id: 0, method: 'thread/start', params: { cwd: '/w' } },
      { id: 1, method: 'turn/start', params: { threadId: 't' } },
    ]);
    p.receive(JSON.stringify({ id: 1, result: { turn: { id: 'turn_1' } } }));
    p.receive(JSON.stringify({ id: 0, result: { thread: { id: 't' } } }));
    await expect(a).resolves.toEqual({ thread: { id: 't' } });
    await expect(b).resolves.toEqual({ turn: { id: 'turn_1' } });
  });

  it('rejects a request answered with an error, keeping the code and message', async () => {
    const { p } = peer();
    const r = p.request('turn/start', {});
    p.receive(JSON.stringify({ id: 0, error: { code: -32600, message: 'Not initialized' } }));
    const err = await r.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ method: 'turn/start', code: -32600, detail: 'Not initialized' });
  });

  it('delivers notifications and answers requests from the other side with the handler result', async () => {
    const { p, sent, notes } = peer(async (method, params) => ({ decision: method === 'item/commandExecution/requestApproval' && params.command === 'ls' ? 'accept' : 'decline' }));
    p.receive(JSON.stringify({ method: 'turn/started', params: { turn: { id: 'x' } } }));
    p.receive(JSON.stringify({ method: 'thread/closed' }));
    p.receive(JSON.stringify({ id: 7, method: 'item/commandExecution/requestApproval', params: { command: 'ls' } }));
    p.receive(JSON.stringify({ id: 'a', method: 'item/commandExecution/requestApproval', params: { command: 'rm -rf /' } }));
    await flush();
    expect(notes).toEqual([['turn/started', { turn: { id: 'x' } }], ['thread/closed', {}]]);
    expect(sent).toEqual([
      { id: 7, result: { decision: 'accept' } },
      { id: 'a', result: { decision: 'decline' } },
    ]);
  });

  it('turns handler failures into error responses: the chosen code, else internal error', async () => {
    const { p, sent } = peer(async (method) => {
      if (method === 'mystery') throw new RpcHandlerError(RpcErrorCode.MethodNotFound, 'mystery is not supported');
      throw new Error('boom');
    });
    p.receive(JSON.stringify({ id: 1, method: 'mystery', params: {} }));
    p.receive(JSON.stringify({ id: 2, method: 'item/fileChange/requestApproval', params: {} }));
    p.receive(JSON.stringify({ id: 3, method: 'item/fileChange/requestApproval', params: [1, 2] }));
    await flush();
    expect(sent).toEqual([
      { id: 3, error: { code: -32602, message: 'item/fileChange/requestApproval: params must be an object' } },
      { id: 1, error: { code: -32601, message: 'mystery is not supported' } },
      { id: 2, error: { code: -32603, message: 'boom' } },
    ]);
  });

  it.each([
    ['not JSON', 'Reading additional input from stdin...'],
    ['not a JSON object', '[1,2]'],
    ['neither a request, a notification nor a response', '{"id":3}'],
    ['a response to unknown request id 42', '{"id":42,"result":{}}'],
  ])('reports a line that is %s, and carries on', async (why, line) => {
    const { p, malformed } = peer();
    const r = p.request('initialize', {});
    p.receive(line);
    p.receive('{"id":0,"result":{"userAgent":"x"}}');
    await expect(r).resolves.toEqual({ userAgent: 'x' });
    expect(malformed).toEqual([why]);
  });

  it('fails requests in flight and later ones once closed; a write to a gone peer fails at once', async () => {
    const { p, hangUp } = peer();
    const inFlight = p.request('turn/start', {});
    p.close(new Error('codex app-server exited with code 1'));
    await expect(inFlight).rejects.toThrow('exited with code 1');
    await expect(p.request('turn/steer', {})).rejects.toThrow('exited with code 1');
    const other = peer();
    other.hangUp();
    await expect(other.p.request('initialize', {})).rejects.toThrow('initialize: the connection is closed');
    hangUp();
  });
});
