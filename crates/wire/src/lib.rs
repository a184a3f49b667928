//! The contract between `armature-node` and its TypeScript half (`src/`):
//! every slot of the arrays that cross the bridge, every record kind and
//! code, named once.
//!
//! Numbers cross in a `Uint32Array` and strings as one string beside it
//! (ARCHITECTURE.md, "The bridge"); both sides must agree on where each
//! number sits and what it means. The binding reads these constants, and
//! `tests/typescript.rs` writes them into `src/generated/wire.ts`, failing
//! when the committed file is stale. This crate has no napi in it so that
//! `cargo test` can run that test: the binding's own test binary would not
//! link outside Node.

use http::Method;

/// One named number of the contract.
#[derive(Debug)]
pub struct Entry {
    /// Its Rust name: a variant's, or a slot's in upper snake case.
    pub name: &'static str,
    /// The number that crosses.
    pub value: u32,
    /// Its doc comment, line by line.
    pub doc: &'static str,
}

/// A set of named numbers: the slots of a record, or the codes of a field.
#[derive(Debug)]
pub struct Group {
    /// The Rust type's name, which TypeScript uses too.
    pub name: &'static str,
    /// Its doc comment, line by line.
    pub doc: &'static str,
    /// Its numbers, in order.
    pub entries: &'static [Entry],
}

/// The codes of one field: a Rust enum, and its [`Group`].
macro_rules! codes {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $($(#[doc = $vdoc:literal])* $variant:ident = $value:literal,)+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant = $value,)+
        }

        impl $name {
            /// Every code, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Its entry in the contract.
            pub const GROUP: Group = Group {
                name: stringify!($name),
                doc: concat!($($doc, "\n"),*),
                entries: &[$(Entry {
                    name: stringify!($variant),
                    value: $value,
                    doc: concat!($($vdoc, "\n"),*),
                }),+],
            };

            /// The number that crosses.
            pub const fn code(self) -> u32 {
                self as u32
            }

            /// The code `code` stands for, or `None` for a number it does not define.
            pub const fn from_code(code: u32) -> Option<Self> {
                match code {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// The slots of one record: a unit type with a constant per slot, and its
/// [`Group`]. `SIZE` is the number of slots (a record may have more after
/// them, as its docs say).
macro_rules! layout {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $($(#[doc = $vdoc:literal])* $slot:ident = $value:literal,)+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug)]
        pub struct $name;

        impl $name {
            $($(#[doc = $vdoc])* pub const $slot: usize = $value;)+

            /// Its entry in the contract.
            pub const GROUP: Group = Group {
                name: stringify!($name),
                doc: concat!($($doc, "\n"),*),
                entries: &[$(Entry {
                    name: stringify!($slot),
                    value: $value,
                    doc: concat!($($vdoc, "\n"),*),
                }),+],
            };
        }
    };
}

layout! {
    /// The slots at the start of the array `drain` fills. The aborted
    /// records follow them, then the room records, the readable records
    /// and the request records.
    pub struct DrainHeader {
        /// The number of request records.
        COUNT = 0,
        /// 1 when more wait than fitted: JS drains again.
        MORE = 1,
        /// The number of aborted records ([`Aborted`]).
        ABORTED = 2,
        /// The number of room records ([`Room`]): streams JS may write again.
        ROOMS = 3,
        /// The number of readable records ([`Room`]): streamed request
        /// bodies with chunks to pull.
        READABLES = 4,
        /// Slots in the header.
        SIZE = 5,
    }
}

layout! {
    /// A request or stream that ended without its answer: JS aborts its
    /// signal and cancels its stream's source.
    pub struct Aborted {
        /// The id ([`write_id`]), two slots.
        ID = 0,
        /// Why it ended ([`Ended`]).
        WHY = 2,
        /// Slots in the record.
        SIZE = 3,
    }
}

layout! {
    /// A stream with news: a response stream with room again, or a streamed
    /// request body with chunks waiting.
    pub struct Room {
        /// The id ([`write_id`]), two slots.
        ID = 0,
        /// Slots in the record.
        SIZE = 2,
    }
}

layout! {
    /// One request in `drain`. After these slots come the length of each
    /// path parameter (as many as the endpoint's route has names) and, when
    /// the method is [`CUSTOM_METHOD`], the method's length. The text holds,
    /// per record, the URL, the parameters and the custom method, in that
    /// order. Lengths are UTF-16 code units.
    pub struct DrainRecord {
        /// The id ([`write_id`]), two slots.
        ID = 0,
        /// The index of the endpoint it was routed to.
        ENDPOINT = 2,
        /// The index of its method in [`METHODS`], or [`CUSTOM_METHOD`].
        METHOD = 3,
        /// The length of its URL (path and query).
        URL_LENGTH = 4,
        /// Slots before the parameter lengths.
        SIZE = 5,
    }
}

layout! {
    /// The arrays JS hands to `respond` and `write`: the record count, then
    /// the records.
    pub struct Batch {
        /// The number of records.
        COUNT = 0,
        /// Where the first record starts.
        RECORDS = 1,
    }
}

layout! {
    /// One answer in `respond`. A name length and a value length per header
    /// follow these slots. The text holds, per record, its header names and
    /// values and then its text body. Lengths are UTF-16 code units.
    pub struct RespondRecord {
        /// The request's id ([`write_id`]), two slots.
        ID = 0,
        /// The status code.
        STATUS = 2,
        /// A [`ContentType`], given only when no `content-type` header is
        /// among the headers.
        CONTENT_TYPE = 3,
        /// The number of headers.
        HEADER_COUNT = 4,
        /// A [`BodyKind`]: `None`, `Text`, `Buffer`, `Stream` or `File`.
        BODY_KIND = 5,
        /// The text body's (or the file's JSON's) length, or the Buffer's
        /// index in the buffers passed beside.
        BODY = 6,
        /// Slots before the header lengths.
        SIZE = 7,
    }
}

layout! {
    /// One chunk or end of a response stream in `write`.
    pub struct WriteRecord {
        /// The stream's request id ([`write_id`]), two slots.
        ID = 0,
        /// A [`BodyKind`]: `Text`, `Buffer`, `End` or `Error` (whose message
        /// is the text). `write` replaces it with an [`Outcome`].
        KIND = 2,
        /// The text's length, or the Buffer's index in the buffers passed
        /// beside.
        BODY = 3,
        /// Slots in the record.
        SIZE = 4,
    }
}

codes! {
    /// `content-type` values JS selects by number, so that the common ones
    /// never cross as strings ([`ContentType::mime`]).
    pub enum ContentType {
        /// No `content-type`.
        None = 0,
        /// `text/plain; charset=utf-8`.
        Text = 1,
        /// `application/json`.
        Json = 2,
        /// `application/octet-stream`.
        Bytes = 3,
        /// `text/html; charset=utf-8`.
        Html = 4,
        /// `application/problem+json`.
        Problem = 5,
    }
}

impl ContentType {
    /// The header value it stands for.
    pub const fn mime(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Text => Some("text/plain; charset=utf-8"),
            Self::Json => Some("application/json"),
            Self::Bytes => Some("application/octet-stream"),
            Self::Html => Some("text/html; charset=utf-8"),
            Self::Problem => Some("application/problem+json"),
        }
    }
}

codes! {
    /// What a body or chunk record carries: one numbering for `respond`
    /// (`None`, `Text`, `Buffer`, `Stream`, `File`) and `write` (`Text`,
    /// `Buffer`, `End`, `Error`).
    pub enum BodyKind {
        /// No body.
        None = 0,
        /// Text from the string passed beside.
        Text = 1,
        /// A Buffer from the array passed beside.
        Buffer = 2,
        /// A body JS streams: its chunks come through `write`.
        Stream = 3,
        /// The stream's end.
        End = 4,
        /// The stream failed; the text is why.
        Error = 5,
        /// A file the engine sends (`HttpResponse.file`): the text is its
        /// path and options as JSON.
        File = 6,
    }
}

codes! {
    /// What `write` says of each chunk it took.
    pub enum Outcome {
        /// Taken, with room to spare.
        Room = 0,
        /// Taken, and the window is now full: wait for a room record.
        Full = 1,
        /// The stream is closed (the client went away, or it is unknown):
        /// stop.
        Closed = 2,
    }
}

codes! {
    /// Why a request ended, in aborted records and from `watch`.
    pub enum Ended {
        /// It has not ended: it waits for its answer (`watch` only).
        Waiting = 0,
        /// The client went away: the connection closed, or the HTTP/2
        /// stream was reset.
        ClientGone = 1,
        /// The handler did not answer within `requestTimeout`.
        Timeout = 2,
        /// The server closed past its grace period.
        Shutdown = 3,
        /// The request is unknown: answered, or ended long ago (`watch`
        /// only).
        Unknown = 4,
    }
}

codes! {
    /// Where a streamed request body stands, in the slot `pull` fills.
    pub enum PullState {
        /// More may come: JS hears of it in a readable record.
        More = 0,
        /// It ended.
        Ended = 1,
        /// It was cut short; `pull` returns why.
        Cut = 2,
        /// The request is unknown, or its body was released.
        Unknown = 3,
    }
}

/// The methods a request record names by index ([`DrainRecord::METHOD`]).
pub const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
];

/// The method code of a method not in [`METHODS`]: JS reads its name from
/// the text.
pub const CUSTOM_METHOD: u32 = 255;

/// The code of `method` in a request record.
pub fn method_code(method: &Method) -> u32 {
    METHODS
        .iter()
        .position(|known| known == method)
        .map_or(CUSTOM_METHOD, |index| index as u32)
}

/// The bytes a streamed response may hold before `write` answers
/// [`Outcome::Full`]: enough to keep a fast client's socket busy, small
/// enough that ten thousand slow ones hold 2.5 GiB at most.
pub const STREAM_WINDOW: usize = 256 * 1024;

/// Writes a request id (below 2^53, a JS number) into the two slots from
/// `at`: its low 32 bits, then its high ones.
pub fn write_id(slots: &mut [u32], at: usize, id: u64) {
    slots[at] = id as u32;
    slots[at + 1] = (id >> 32) as u32;
}

/// The request id [`write_id`] wrote at `at`.
pub fn read_id(slots: &[u32], at: usize) -> u64 {
    u64::from(slots[at + 1]) << 32 | u64::from(slots[at])
}

/// The error codes: a Rust enum with the string each stands for, and the
/// table of them for TypeScript and the docs.
macro_rules! error_codes {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $($(#[doc = $vdoc:literal])* $variant:ident = $code:literal,)+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)+
        }

        impl $name {
            /// Every code, in the order the docs list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The type's doc comment, line by line.
            pub const GROUP_DOC: &'static str = concat!($($doc, "\n"),*);

            /// The code as JS sees it in `err.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// When it is thrown, as the docs say it.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!($($vdoc, "\n"),*),)+
                }
            }

            /// Its Rust name, which TypeScript uses too.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }
        }
    };
}

error_codes! {
    /// Every `code` an error Armature throws can carry: the engine's, the
    /// binding's and those the TypeScript side throws, in one list.
    pub enum ErrorCode {
        /// A path with invalid syntax, an invalid method, or a handler that
        /// is not a function.
        InvalidRoute = "ERR_ARMATURE_INVALID_ROUTE",
        /// A route overlapping an earlier one; the message names both.
        RouteConflict = "ERR_ARMATURE_ROUTE_CONFLICT",
        /// An unusable option (a zero limit, an unknown host, a bad port).
        InvalidOption = "ERR_ARMATURE_INVALID_OPTION",
        /// A route's JSON Schema that does not compile, or a `$ref` nothing
        /// resolves; the message names the route and the part.
        InvalidSchema = "ERR_ARMATURE_INVALID_SCHEMA",
        /// An app feature given to a scope's or a route's `wrap`: declare it
        /// with `App.wrap`.
        AppOnly = "ERR_ARMATURE_APP_ONLY",
        /// The address cannot be parsed or bound (e.g. the port is in use).
        Listen = "ERR_ARMATURE_LISTEN",
        /// `HttpResponse` got a status outside 200–999.
        InvalidResponse = "ERR_ARMATURE_INVALID_RESPONSE",
        /// A request read after its response was sent.
        RequestFinished = "ERR_ARMATURE_REQUEST_FINISHED",
        /// `testClient` got a request that is not valid HTTP (method, URL or
        /// header).
        InvalidRequest = "ERR_ARMATURE_INVALID_REQUEST",
        /// No native binary loads on this platform.
        NoBinary = "ERR_ARMATURE_NO_BINARY",
        /// The native binding failed (a bug: please report it).
        Internal = "ERR_ARMATURE_INTERNAL",
        /// The `reason` of an aborted `req.signal`: the client went away.
        ClientGone = "ERR_ARMATURE_CLIENT_GONE",
        /// The `reason` of an aborted `req.signal`: the handler ran past
        /// `requestTimeout`.
        Timeout = "ERR_ARMATURE_TIMEOUT",
        /// The `reason` of an aborted `req.signal`: the server closed past
        /// its grace period.
        Shutdown = "ERR_ARMATURE_SHUTDOWN",
        /// `req.body`, `text()` or `json()` on a route declared
        /// `{ stream: true }`: read it with `req.stream()`.
        BodyStreamed = "ERR_ARMATURE_BODY_STREAMED",
        /// `req.stream()` when the body was cut short: over a `BodyLimit`,
        /// slower than `bodyTimeout`, or the connection broke.
        BodyCut = "ERR_ARMATURE_BODY_CUT",
        /// A body read by a parser (`req.multipart()`, `formData()`, `form()`) and by another reader: a
        /// parser takes the body, so read it one way.
        BodyUsed = "ERR_ARMATURE_BODY_USED",
        /// `part.saveTo(path)` could not make or write its file (it exists
        /// and `overwrite` is not set, a folder is missing, the disk is
        /// full); nothing is left at `path`.
        SaveFailed = "ERR_ARMATURE_SAVE_FAILED",
        /// `testClient` got a response whose stream failed before its end
        /// (over a socket the client sees the response cut short).
        StreamFailed = "ERR_ARMATURE_STREAM_FAILED",
        /// The native addon panicked in a call from JS (a bug: please report
        /// it); the process goes on.
        Panic = "ERR_ARMATURE_PANIC",
    }
}

/// Every group of the contract, in the order `src/generated/wire.ts` has them.
pub const GROUPS: &[Group] = &[
    DrainHeader::GROUP,
    Aborted::GROUP,
    Room::GROUP,
    DrainRecord::GROUP,
    Batch::GROUP,
    RespondRecord::GROUP,
    WriteRecord::GROUP,
    ContentType::GROUP,
    BodyKind::GROUP,
    Outcome::GROUP,
    Ended::GROUP,
    PullState::GROUP,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let mut slots = [0; 3];
        for id in [0, 1, u64::from(u32::MAX), (1 << 53) - 1] {
            write_id(&mut slots, 1, id);
            assert_eq!(read_id(&slots, 1), id);
        }
    }

    #[test]
    fn codes_read_back() {
        for kind in BodyKind::ALL {
            assert_eq!(BodyKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(BodyKind::from_code(99), None);
        for (index, kind) in ContentType::ALL.iter().enumerate() {
            assert_eq!(
                kind.code() as usize,
                index,
                "the binding indexes its header values by code"
            );
        }
    }

    #[test]
    fn error_codes_are_named_alike() {
        for code in ErrorCode::ALL {
            assert!(code.as_str().starts_with("ERR_ARMATURE_"));
            assert!(!code.doc().is_empty(), "{code:?} is documented");
        }
    }

    #[test]
    fn methods_have_codes() {
        assert_eq!(method_code(&Method::PATCH), 5);
        assert_eq!(
            method_code(&Method::from_bytes(b"PURGE").unwrap()),
            CUSTOM_METHOD
        );
    }
}
