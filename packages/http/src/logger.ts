import { type DestinationStream, type Logger, pino } from 'pino';

/** Query parameters whose values are credentials and never reach a log line. */
const SECRET_PARAMS = /([?&](?:ticket|token|access_token)=)[^&#]*/gi;

/** A URL with credential parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly ip?: string;
}

/**
 * The server's pino logger: request ids come from Fastify; tokens never appear, whether in the
 * Authorization header, the session cookie or a stream ticket in the URL.
 */
export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: request.url === undefined ? undefined : redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
      }),
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
