/**
 * Requests Node's HTTP parser refuses before any handler runs — an unknown method (`BREW /`), a
 * malformed request line, headers past the size limit — are answered as a Kubernetes `Status`
 * like every other refusal, instead of Node's bare `400 Bad Request` with no body.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, StatusReason } from '../errors.js';

/** What Node attaches to a parse error: its llhttp code and the bytes it had read. */
export type ClientError = Error & { code?: string; rawPacket?: Buffer };

/** The method of a well-formed request line (an RFC 9110 token, then a space), or undefined. */
function methodOf(raw: Buffer | undefined): string | undefined {
  return /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) /.exec(raw?.subarray(0, 64).toString('latin1') ?? '')?.[1];
}

/** The Status a parse error deserves. */
export function statusForClientError(err: ClientError): ApiError {
  switch (err.code) {
    case 'HPE_INVALID_METHOD': {
      // A method Node does not know (Go's server takes any token): refused like any other method.
      const method = methodOf(err.rawPacket);
      if (method) return new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${method})`);
      break;
    }
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(StatusReason.BadRequest, `the request headers are too large: the limit is ${maxHeaderSize} bytes`, undefined, 431);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(StatusReason.BadRequest, 'the request was not received in time', undefined, 408);
  }
  return new ApiError(StatusReason.BadRequest, `malformed HTTP request: ${err.code ?? 'unknown'} (${err.message.split('\n')[0]})`);
}

/**
 * A `clientError` listener for an HTTP(S) server: writes the Status and closes the connection (the
 * parser cannot go on after an error). A connection already gone is only destroyed.
 */
export function answerClientError(err: ClientError, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusForClientError(err);
  const body = JSON.stringify(status.toStatus());
  // The answer to a HEAD carries the headers of the Status but never its body.
  const head = methodOf(err.rawPacket) === 'HEAD';
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? '' : body}`,
  );
}
