// A small JSON-over-HTTP client for the benchmarks. The load generator shares the two cores with
// what it measures: node:http with kept-alive connections costs a fraction of the CPU of fetch
// (undici's WHATWG streams).
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** One request: method, path, JSON body and extra headers; resolves with the status, headers and parsed body. */
export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }>;

/** Connections kept alive across requests of this thread. */
export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** A client of `url` that sends `Authorization: Bearer <token>`. */
export function client(url: string, token: string): Call {
  const { hostname, port } = new URL(url);
  return (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = httpRequest(
        {
          agent,
          hostname,
          port,
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            try {
              resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                body: text === '' ? {} : JSON.parse(text),
              });
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}
