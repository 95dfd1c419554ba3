import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes } from '@sluice/core';
import { jwtVerify, SignJWT } from 'jose';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';

/** Who is calling: a user, or an operator signed in with the static operator token. */
export type Principal = { readonly userId: string } | { readonly operator: string };

/** An operator's static secret (`SLUICE_OPERATOR_TOKEN`) and the name it acts as. */
export interface OperatorCredential {
  readonly name: string;
  readonly token: string;
}

/** The `sluice-principal` header value: the user id, or `operator:<name>`. */
export function principalName(principal: Principal): string {
  return 'operator' in principal ? `operator:${principal.operator}` : principal.userId;
}

/** Whether the principal is an operator. */
export function isOperator(principal: Principal): boolean {
  return 'operator' in principal;
}

/** Why a user id cannot be issued a token, or `undefined` if it can: `system` and `operator:*` belong to others. */
export function reservedUserId(userId: string): string | undefined {
  if (userId === 'system') return 'the user id system is the principal of direct Kafka writers';
  if (userId.startsWith('operator:')) return 'user ids starting with operator: are operator principals';
  return undefined;
}

const ISSUER = 'sluice';
const AUDIENCE = 'sluice';
/** HS256 needs a key at least as long as its hash. */
export const MIN_SECRET_BYTES = 32;

function unauthenticated(detail: string): HttpProblem {
  return new HttpProblem(HttpCodes.UNAUTHENTICATED, detail, {
    headers: { 'www-authenticate': 'Bearer realm="sluice", error="invalid_token"' },
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Issues and verifies bearer tokens: HS256 JWTs for users, static secrets for operators. */
export class TokenAuthority {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;
  readonly #operators: readonly { readonly name: string; readonly digest: Buffer }[];

  constructor(options: {
    readonly secret: string;
    readonly ttlSeconds?: number;
    readonly operators?: readonly OperatorCredential[];
  }) {
    this.#key = new TextEncoder().encode(options.secret);
    if (this.#key.length < MIN_SECRET_BYTES)
      throw new TypeError(`the token secret must have at least ${MIN_SECRET_BYTES} bytes`);
    this.#ttlSeconds = options.ttlSeconds ?? 8 * 3600;
    this.#operators = (options.operators ?? []).map((operator) => {
      if (operator.token.length < 16)
        throw new TypeError('an operator token must have at least 16 characters');
      return { name: operator.name, digest: digest(operator.token) };
    });
  }

  /** Seconds a user token stays valid. */
  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** A signed token for a user; reserved ids are refused (403). */
  async issue(userId: string): Promise<string> {
    const reserved = reservedUserId(userId);
    if (reserved !== undefined) throw new HttpProblem(HttpCodes.RESERVED_PRINCIPAL, reserved);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.#ttlSeconds}s`)
      .sign(this.#key);
  }

  /** The principal a bearer token stands for; anything else throws `UNAUTHENTICATED` (401). */
  async verify(token: string): Promise<Principal> {
    // Operator tokens are compared as SHA-256 digests so the comparison takes the same time whatever the input.
    const presented = digest(token);
    let operator: string | undefined;
    for (const candidate of this.#operators)
      if (timingSafeEqual(presented, candidate.digest)) operator ??= candidate.name;
    if (operator !== undefined) return { operator };
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      });
      const userId = payload.sub;
      if (userId === undefined || userId === '' || reservedUserId(userId) !== undefined)
        throw unauthenticated('the token names no usable user');
      return { userId };
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      const code = (error as { code?: unknown }).code;
      throw unauthenticated(code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid');
    }
  }
}

/** The 401 for a request without credentials. */
export function missingCredentials(): HttpProblem {
  const problem = new HttpProblem(HttpCodes.UNAUTHENTICATED, 'send Authorization: Bearer <token>', {
    headers: { 'www-authenticate': 'Bearer realm="sluice"' },
  });
  return problem;
}

/** The 403 for a principal acting outside its rights. */
export function forbidden(detail: string): HttpProblem {
  return new HttpProblem(ErrorCodes.FORBIDDEN, detail);
}
