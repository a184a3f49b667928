//! Strings as JS measures them: lengths in UTF-16 code units, so that one
//! string can carry many pieces across the bridge with only their lengths
//! beside it.

/// Reads a string in pieces measured in UTF-16 code units, as JS measures
/// string lengths, and hands out the UTF-8 byte range of each piece.
pub(crate) struct Pieces<'a> {
    text: &'a str,
    at: usize,
    ascii: bool,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            ascii: text.is_ascii(),
        }
    }

    /// The byte range of the next `units` UTF-16 code units.
    pub(crate) fn next(&mut self, units: u32) -> napi::Result<std::ops::Range<usize>> {
        let start = self.at;
        let rest = &self.text[start..];
        let len = if self.ascii {
            units as usize
        } else {
            let mut left = units as usize;
            let mut bytes = 0;
            for c in rest.chars() {
                if left == 0 {
                    break;
                }
                left = left.saturating_sub(c.len_utf16());
                bytes += c.len_utf8();
            }
            bytes
        };
        if len > rest.len() {
            return Err(napi::Error::from_reason(
                "respond: the text is shorter than its pieces",
            ));
        }
        self.at += len;
        Ok(start..self.at)
    }

    pub(crate) fn str(&mut self, units: u32) -> napi::Result<&'a str> {
        let range = self.next(units)?;
        Ok(&self.text[range])
    }
}

/// UTF-16 code units in `text`: the length JS sees.
pub(crate) fn utf16_len(text: &str) -> u32 {
    let units = if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    };
    u32::try_from(units).unwrap_or(u32::MAX)
}
