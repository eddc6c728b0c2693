// Answers for requests that fail before any route runs (Node's HTTP parser, Fastify's URL checks, the host router): the envelope of the API the path falls under, else neutral JSON.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, codeForStatus, rendererFor, type ErrorRenderer } from './errors.ts';

/** Where no API's envelope applies (or the path is not known): the members every envelope of ours has. */
const neutral: ErrorRenderer = (error, request) => ({ code: error.code, message: error.message, request_id: request.id });

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The response for `error`, rendered as the service owning `path` renders its errors (`path` is the routed
 * path: a collection host's request is already under /data/<id>); undefined `path` gives neutral JSON.
 */
export function edgeResponse(server: object, path: string | undefined, error: ApiError, requestId: string = randomUUID()): EdgeResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId };
  const render = (path === undefined ? undefined : rendererFor(server, path.split('?')[0])) ?? neutral;
  const body = JSON.stringify(render(error, { id: requestId, url: path ?? '' }, { header: (name, value) => (headers[name.toLowerCase()] = value) }));
  headers['content-length'] = String(Buffer.byteLength(body));
  return { status: error.status, headers, body };
}

export interface RequestHead {
  /** the request-target */
  target?: string;
  host?: string;
}

/**
 * What the bytes the parser failed on say about the request. Node hands over only the chunk it was parsing:
 * when that is not the start of the request (a head longer than one TLS record), nothing is known.
 */
export function requestHead(raw: unknown): RequestHead {
  if (!Buffer.isBuffer(raw)) return {};
  let text = raw.subarray(0, 65536).toString('latin1');
  const line = /^[!-~]+ ([!-~]+) HTTP\/\d\.\d\r\n/.exec(text);
  if (!line) return {};
  const end = text.indexOf('\r\n\r\n');
  if (end >= 0) text = text.slice(0, end + 2);
  return { target: line[1], host: /\r\nhost[ \t]*:[ \t]*([^\r\n]*)/i.exec(text)?.[1]?.trim() };
}

/** A Node parser error as the status Node itself would answer (431, 408, else 400), with what was wrong. */
export function parserError(error: { code?: string; reason?: string }): ApiError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError(408, codeForStatus(408), 'The request was not received in time');
  if (error.code === 'HPE_HEADER_OVERFLOW') return new ApiError(431, codeForStatus(431), `The request line and headers exceed ${http.maxHeaderSize} bytes`);
  return new ApiError(400, codeForStatus(400), `Malformed HTTP request${error.reason ? `: ${error.reason}` : ''}`);
}

/** Writes a response straight to the socket (a parser error has no response object) and closes it once sent. */
export function writeToSocket(socket: Duplex, response: EdgeResponse): void {
  const lines = [`HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status] ?? 'Error'}`];
  for (const [name, value] of Object.entries({ ...response.headers, connection: 'close' })) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${response.body}`, () => socket.destroy());
}

/** Fastify's `frameworkErrors` (a malformed URL, an over-long path parameter): the path's envelope, with the request's id. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
  const apiError = new ApiError(status, codeForStatus(status), error.message);
  request.log.info({ code: error.code, status }, `request refused before routing: ${error.message}`);
  const response = edgeResponse(request.server.server, request.url, apiError, request.id);
  return reply.code(response.status).headers(response.headers).send(response.body);
}
