//! The caps on one multipart body. `multer` limits only sizes (and a part's
//! headers, at 32), so the parts, files and fields are counted here.

/// What one multipart body may hold; the defaults are safe for a public
/// server, and every cap applies on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// The largest file part, in bytes.
    pub file_size: u64,
    /// The most file parts.
    pub files: u64,
    /// The most field parts (parts without a filename).
    pub fields: u64,
    /// The largest field part, in bytes.
    pub field_size: u64,
    /// The most parts of either kind.
    pub parts: u64,
    /// The most header lines in one part; at most [`MAX_HEADER_PAIRS`].
    pub header_pairs: u64,
}

/// The most header lines `multer` reads in a part: a part with more is
/// refused whatever `header_pairs` says.
pub const MAX_HEADER_PAIRS: u64 = 32;

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            file_size: 10 * 1024 * 1024,
            files: 10,
            fields: 100,
            field_size: 1024 * 1024,
            parts: 1000,
            header_pairs: MAX_HEADER_PAIRS,
        }
    }
}

/// A limit by the name options give it, for the 413 that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `fileSize`.
    FileSize,
    /// `files`.
    Files,
    /// `fields`.
    Fields,
    /// `fieldSize`.
    FieldSize,
    /// `parts`.
    Parts,
    /// `headerPairs`.
    HeaderPairs,
}

impl Limit {
    /// The option's name: `fileSize`, `files`, …
    pub fn name(self) -> &'static str {
        match self {
            Self::FileSize => "fileSize",
            Self::Files => "files",
            Self::Fields => "fields",
            Self::FieldSize => "fieldSize",
            Self::Parts => "parts",
            Self::HeaderPairs => "headerPairs",
        }
    }
}
