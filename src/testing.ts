/**
 * Test an app without opening a socket: requests go through the whole engine
 * (limits, routing, native and JS middleware, handlers, error responses)
 * exactly as over HTTP, and come back as {@link TestResponse}s.
 *
 * Works in vitest's `threads` and `forks` pools alike.
 *
 * @example
 * import { expect, it } from 'vitest'
 * import { armatureMatchers, testClient } from '@armature/core/testing'
 * import { app } from '../src/app.js'
 *
 * expect.extend(armatureMatchers)
 *
 * it('reads a user', async () => {
 *   const res = await testClient(app).get('/users/1', { query: { fields: 'name' } })
 *   expect(res).toHaveStatus(200)
 *   expect(res).toHaveJsonBody({ id: '1' })
 * })
 *
 * @module
 */
import type { NativeServer } from '../index.js'
import type { App } from './app.js'
import { Code, codedError } from './errors.js'
import type { ProblemExpectation } from './vitest-matchers.mjs' with { 'resolution-mode': 'import' }

/** A query-string value; arrays repeat the key. */
export type QueryInput = string | number | boolean | readonly (string | number | boolean)[]

/** What a test request may carry besides its method and URL. */
export interface TestRequestOptions {
  /** Request headers; an array sends the header once per value. */
  headers?: Record<string, string | number | readonly string[]>
  /** Query parameters, appended to the URL (percent-encoded). */
  query?: Record<string, QueryInput>
  /** A raw body. */
  body?: string | Uint8Array
  /** A JSON body: serialised, with `content-type: application/json` unless a content-type is given. */
  json?: unknown
}

/** A whole test request. */
export interface TestRequest extends TestRequestOptions {
  /** The method. @default 'GET' */
  method?: string
  /** The path and query, e.g. `/users/1?fields=name`. */
  url: string
}

/** The response to a test request. */
export class TestResponse {
  /** The status code. */
  readonly status: number
  /** Headers by lower-case name; repeated headers joined by `, `. */
  readonly headers: Record<string, string>
  /** The raw body. */
  readonly body: Buffer

  /** @internal made by the test client. */
  constructor(status: number, flat: readonly string[], body: Buffer) {
    this.status = status
    this.body = body
    const headers: Record<string, string> = {}
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i] as string
      const value = flat[i + 1] as string
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    }
    this.headers = headers
  }

  /** A header's value (case-insensitive name), or `undefined`. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.body.toString('utf8')
  }

  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T
  }
}

/** Sends requests to an app in-process. */
export interface TestClient {
  /** Sends any request. */
  request(request: TestRequest): Promise<TestResponse>
  /** GET `url`. */
  get(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** POST `url`, usually with `json` or `body`. */
  post(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** PUT `url`. */
  put(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** PATCH `url`. */
  patch(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** DELETE `url`. */
  delete(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** HEAD `url`. */
  head(url: string, options?: TestRequestOptions): Promise<TestResponse>
  /** OPTIONS `url`. */
  options(url: string, options?: TestRequestOptions): Promise<TestResponse>
}

function withQuery(url: string, query: TestRequestOptions['query']): string {
  if (!query) return url
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item))
  }
  const text = params.toString()
  if (text === '') return url
  return `${url}${url.includes('?') ? '&' : '?'}${text}`
}

/**
 * A client for `app` that needs no port. The app is frozen into the engine on
 * the first request: routes added after it are not seen.
 *
 * Requests are HTTP/1.1 from 127.0.0.1 with `host: localhost` unless another
 * Host is given; a body gets its `content-length`. Invalid methods, URLs or
 * headers reject with `ERR_ARMATURE_INVALID_REQUEST`.
 */
export function testClient(app: App<any>): TestClient {
  let native: NativeServer | undefined
  const request = async (req: TestRequest): Promise<TestResponse> => {
    native ??= app.inProcess()
    const headers: string[] = []
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) headers.push(name, String(item))
    }
    const has = (name: string) => headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === name)
    let body: Buffer | undefined
    if (req.json !== undefined) {
      body = Buffer.from(JSON.stringify(req.json))
      if (!has('content-type')) headers.push('content-type', 'application/json')
    } else if (typeof req.body === 'string') {
      body = Buffer.from(req.body)
    } else if (req.body !== undefined) {
      body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)
    }
    if (body !== undefined && !has('content-length')) headers.push('content-length', String(body.length))
    const res = await native.inject((req.method ?? 'GET').toUpperCase(), withQuery(req.url, req.query), headers, body)
    // Over a socket the client would see the response cut short.
    if (res.streamError != null) {
      throw codedError(Code.StreamFailed, `the response stream failed: ${res.streamError}`)
    }
    return new TestResponse(res.status, res.headers, res.body)
  }
  const method =
    (name: string) =>
    (url: string, options: TestRequestOptions = {}): Promise<TestResponse> =>
      request({ ...options, method: name, url })
  return {
    request,
    get: method('GET'),
    post: method('POST'),
    put: method('PUT'),
    patch: method('PATCH'),
    delete: method('DELETE'),
    head: method('HEAD'),
    options: method('OPTIONS'),
  }
}

/** What vitest passes a matcher as `this`. */
interface MatcherContext {
  isNot: boolean
  equals(a: unknown, b: unknown): boolean
}

interface MatcherResult {
  pass: boolean
  message: () => string
  actual?: unknown
  expected?: unknown
}

function bodyPreview(res: TestResponse): string {
  const text = res.text()
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function asResponse(received: unknown): TestResponse {
  if (!(received instanceof TestResponse)) {
    throw new TypeError('armature matchers expect a TestResponse from testClient(app)')
  }
  return received
}

/**
 * vitest matchers for {@link TestResponse}s: `expect.extend(armatureMatchers)`.
 *
 * - `toHaveStatus(200)`
 * - `toHaveHeader('content-type')`, `toHaveHeader('content-type', /json/)`
 * - `toMatchProblem({ status: 404, title: 'Not Found' })`: an `application/problem+json` body with these fields
 * - `toHaveJsonBody({ id: '1' })`: the body parsed as JSON equals this
 */
export const armatureMatchers = {
  toHaveStatus(this: MatcherContext, received: unknown, status: number): MatcherResult {
    const res = asResponse(received)
    return {
      pass: res.status === status,
      message: () => `expected status ${this.isNot ? 'not ' : ''}${status}, got ${res.status} with body ${bodyPreview(res)}`,
      actual: res.status,
      expected: status,
    }
  },

  toHaveHeader(this: MatcherContext, received: unknown, name: string, value?: string | RegExp): MatcherResult {
    const actual = asResponse(received).header(name)
    const pass =
      actual !== undefined && (value === undefined || (typeof value === 'string' ? actual === value : value.test(actual)))
    const wanted = value === undefined ? `a '${name}' header` : `'${name}: ${String(value)}'`
    return {
      pass,
      message: () => `expected ${this.isNot ? 'no ' : ''}${wanted}, got ${actual === undefined ? 'none' : `'${actual}'`}`,
      actual,
      expected: value,
    }
  },

  toMatchProblem(this: MatcherContext, received: unknown, expected: ProblemExpectation): MatcherResult {
    const res = asResponse(received)
    const type = res.header('content-type')
    let problem: Record<string, unknown> | undefined
    try {
      problem = res.json<Record<string, unknown>>()
    } catch {
      problem = undefined
    }
    const fieldsMatch =
      problem !== undefined &&
      problem.status === expected.status &&
      (expected.title === undefined || problem.title === expected.title) &&
      (expected.type === undefined || problem.type === expected.type) &&
      (expected.detail === undefined ||
        (typeof expected.detail === 'string'
          ? problem.detail === expected.detail
          : typeof problem.detail === 'string' && expected.detail.test(problem.detail)))
    const pass = res.status === expected.status && type === 'application/problem+json' && fieldsMatch
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? 'no ' : ''}problem ${JSON.stringify(expected, (_, v: unknown) => (v instanceof RegExp ? String(v) : v))}, ` +
        `got ${res.status} ${type ?? '(no content-type)'} ${bodyPreview(res)}`,
      actual: problem,
      expected,
    }
  },

  toHaveJsonBody(this: MatcherContext, received: unknown, expected: unknown): MatcherResult {
    const res = asResponse(received)
    let actual: unknown
    let parsed = true
    try {
      actual = res.json()
    } catch {
      parsed = false
    }
    return {
      pass: parsed && this.equals(actual, expected),
      message: () =>
        parsed
          ? `expected JSON body ${this.isNot ? 'not ' : ''}to equal ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`
          : `expected a JSON body, got ${bodyPreview(res)}`,
      actual,
      expected,
    }
  },
}

// The matcher types live in an ES module: vitest's types can only be augmented
// from one, and this file compiles to CommonJS.
export type { ArmatureMatchers, ProblemExpectation } from './vitest-matchers.mjs' with { 'resolution-mode': 'import' }
