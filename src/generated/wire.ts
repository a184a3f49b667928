// Generated from crates/wire by its tests/typescript.rs (cargo test -p armature-wire); do not edit.

/**
 * The slots at the start of the array `drain` fills. The aborted
 * records follow them, then the room records, the readable records
 * and the request records.
 */
export const enum DrainHeader {
  /** The number of request records. */
  Count = 0,
  /** 1 when more wait than fitted: JS drains again. */
  More = 1,
  /** The number of aborted records (`Aborted`). */
  Aborted = 2,
  /** The number of room records (`Room`): streams JS may write again. */
  Rooms = 3,
  /**
   * The number of readable records (`Room`): streamed request
   * bodies with chunks to pull.
   */
  Readables = 4,
  /** Slots in the header. */
  Size = 5,
}

/**
 * A request or stream that ended without its answer: JS aborts its
 * signal and cancels its stream's source.
 */
export const enum Aborted {
  /** The id (`write_id`), two slots. */
  Id = 0,
  /** Why it ended (`Ended`). */
  Why = 2,
  /** Slots in the record. */
  Size = 3,
}

/**
 * A stream with news: a response stream with room again, or a streamed
 * request body with chunks waiting.
 */
export const enum Room {
  /** The id (`write_id`), two slots. */
  Id = 0,
  /** Slots in the record. */
  Size = 2,
}

/**
 * One request in `drain`. After these slots come the length of each
 * path parameter (as many as the endpoint's route has names) and, when
 * the method is `CUSTOM_METHOD`, the method's length. The text holds,
 * per record, the URL, the parameters and the custom method, in that
 * order. Lengths are UTF-16 code units.
 */
export const enum DrainRecord {
  /** The id (`write_id`), two slots. */
  Id = 0,
  /** The index of the endpoint it was routed to. */
  Endpoint = 2,
  /** The index of its method in `METHODS`, or `CUSTOM_METHOD`. */
  Method = 3,
  /** The length of its URL (path and query). */
  UrlLength = 4,
  /** Slots before the parameter lengths. */
  Size = 5,
}

/**
 * The arrays JS hands to `respond` and `write`: the record count, then
 * the records.
 */
export const enum Batch {
  /** The number of records. */
  Count = 0,
  /** Where the first record starts. */
  Records = 1,
}

/**
 * One answer in `respond`. A name length and a value length per header
 * follow these slots. The text holds, per record, its header names and
 * values and then its text body. Lengths are UTF-16 code units.
 */
export const enum RespondRecord {
  /** The request's id (`write_id`), two slots. */
  Id = 0,
  /** The status code. */
  Status = 2,
  /**
   * A `ContentType`, given only when no `content-type` header is
   * among the headers.
   */
  ContentType = 3,
  /** The number of headers. */
  HeaderCount = 4,
  /** A `BodyKind`: `None`, `Text`, `Buffer`, `Stream` or `File`. */
  BodyKind = 5,
  /**
   * The text body's (or the file's JSON's) length, or the Buffer's
   * index in the buffers passed beside.
   */
  Body = 6,
  /** Slots before the header lengths. */
  Size = 7,
}

/** One chunk or end of a response stream in `write`. */
export const enum WriteRecord {
  /** The stream's request id (`write_id`), two slots. */
  Id = 0,
  /**
   * A `BodyKind`: `Text`, `Buffer`, `End` or `Error` (whose message
   * is the text). `write` replaces it with an `Outcome`.
   */
  Kind = 2,
  /**
   * The text's length, or the Buffer's index in the buffers passed
   * beside.
   */
  Body = 3,
  /** Slots in the record. */
  Size = 4,
}

/**
 * `content-type` values JS selects by number, so that the common ones
 * never cross as strings (`ContentType::mime`).
 */
export const enum ContentType {
  /** No `content-type`. */
  None = 0,
  /** `text/plain; charset=utf-8`. */
  Text = 1,
  /** `application/json`. */
  Json = 2,
  /** `application/octet-stream`. */
  Bytes = 3,
  /** `text/html; charset=utf-8`. */
  Html = 4,
  /** `application/problem+json`. */
  Problem = 5,
}

/**
 * What a body or chunk record carries: one numbering for `respond`
 * (`None`, `Text`, `Buffer`, `Stream`, `File`) and `write` (`Text`,
 * `Buffer`, `End`, `Error`).
 */
export const enum BodyKind {
  /** No body. */
  None = 0,
  /** Text from the string passed beside. */
  Text = 1,
  /** A Buffer from the array passed beside. */
  Buffer = 2,
  /** A body JS streams: its chunks come through `write`. */
  Stream = 3,
  /** The stream's end. */
  End = 4,
  /** The stream failed; the text is why. */
  Error = 5,
  /**
   * A file the engine sends (`HttpResponse.file`): the text is its
   * path and options as JSON.
   */
  File = 6,
}

/** What `write` says of each chunk it took. */
export const enum Outcome {
  /** Taken, with room to spare. */
  Room = 0,
  /** Taken, and the window is now full: wait for a room record. */
  Full = 1,
  /**
   * The stream is closed (the client went away, or it is unknown):
   * stop.
   */
  Closed = 2,
}

/** Why a request ended, in aborted records and from `watch`. */
export const enum Ended {
  /** It has not ended: it waits for its answer (`watch` only). */
  Waiting = 0,
  /**
   * The client went away: the connection closed, or the HTTP/2
   * stream was reset.
   */
  ClientGone = 1,
  /** The handler did not answer within `requestTimeout`. */
  Timeout = 2,
  /** The server closed past its grace period. */
  Shutdown = 3,
  /**
   * The request is unknown: answered, or ended long ago (`watch`
   * only).
   */
  Unknown = 4,
}

/** Where a streamed request body stands, in the slot `pull` fills. */
export const enum PullState {
  /** More may come: JS hears of it in a readable record. */
  More = 0,
  /** It ended. */
  Ended = 1,
  /** It was cut short; `pull` returns why. */
  Cut = 2,
  /** The request is unknown, or its body was released. */
  Unknown = 3,
}

/** The header value of each `ContentType`. */
export const CONTENT_TYPE_NAMES = [undefined, 'text/plain; charset=utf-8', 'application/json', 'application/octet-stream', 'text/html; charset=utf-8', 'application/problem+json'] as const

/** The methods a request record names by index (`DrainRecord.Method`). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const

/** The method code of a method not in `METHODS`: its name comes in the text. */
export const CUSTOM_METHOD = 255
