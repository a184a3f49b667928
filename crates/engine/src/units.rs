//! Sizes and durations as options give them: a number (bytes, milliseconds)
//! or text with a unit (`"512kb"`, `"10mb"`; `"500ms"`, `"30s"`, `"5m"`).
//! One reading for every option, so `limits.bodySize` and `BodyLimit`, or
//! `limits.requestTimeout` and `Timeout`, accept the same spellings.

use std::time::Duration;

use crate::Error;

/// A size or a duration as given: a number or text with a unit.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "json", derive(serde::Deserialize), serde(untagged))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Amount {
    /// Bytes or milliseconds.
    Number(f64),
    /// `"512kb"`, `"10mb"`; `"500ms"`, `"5s"`, `"1m 30s"`.
    Text(String),
}

/// The largest size or count: the largest whole number a JS number holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// The longest duration in milliseconds, as JS timers take it: far below
/// what tokio's timers and `Instant` arithmetic hold.
pub const MAX_MILLIS: u64 = 2_147_483_647;

/// `value` as a whole number from `min` to `max`; the error names `name`.
pub fn whole(name: &str, value: f64, min: u64, max: u64) -> Result<u64, Error> {
    if value.is_finite() && value.fract() == 0.0 && (min as f64..=max as f64).contains(&value) {
        return Ok(value as u64);
    }
    // As JS writes them: `1e300`, not 301 digits.
    let shown = if value.abs() >= 1e21 {
        format!("{value:e}")
    } else {
        format!("{value}")
    };
    Err(Error::invalid_option(format!(
        "{name} must be a whole number from {min} to {max}, got {shown}"
    )))
}

/// A size in bytes: a whole number, or text with a unit (b, kb, mb, gb, …:
/// powers of 1024, as Node's `bytes` reads them; case and spaces are free).
pub fn size(name: &str, amount: &Amount) -> Result<u64, Error> {
    match amount {
        Amount::Number(n) => whole(name, *n, 0, MAX_SAFE_INTEGER),
        Amount::Text(text) if !text.bytes().any(|b| b.is_ascii_alphabetic()) => {
            Err(Error::invalid_option(format!(
                "{name}: '{text}' has no unit; use a number of bytes or e.g. '512kb' or '10mb'"
            )))
        }
        Amount::Text(text) => parse_size::Config::new()
            .with_binary()
            .parse_size(text)
            .map_err(|error| {
                Error::invalid_option(format!(
                    "{name}: '{text}' is not a size ({error}); use e.g. '512kb' or '10mb'"
                ))
            })
            .and_then(|bytes| {
                (bytes <= MAX_SAFE_INTEGER).then_some(bytes).ok_or_else(|| {
                    Error::invalid_option(format!(
                        "{name}: '{text}' is more than {MAX_SAFE_INTEGER} bytes"
                    ))
                })
            }),
    }
}

/// A duration: whole milliseconds, or text with a unit (`500ms`, `30s`,
/// `5m`, `1h 30m`).
pub fn duration(name: &str, amount: &Amount) -> Result<Duration, Error> {
    match amount {
        Amount::Number(n) => whole(name, *n, 0, MAX_MILLIS).map(Duration::from_millis),
        Amount::Text(text) => humantime::parse_duration(text)
            .map_err(|error| {
                Error::invalid_option(format!(
                    "{name}: '{text}' is not a duration ({error}); use milliseconds or e.g. '500ms' or '30s'"
                ))
            })
            .and_then(|time| {
                (time <= Duration::from_millis(MAX_MILLIS)).then_some(time).ok_or_else(|| {
                    Error::invalid_option(format!("{name}: '{text}' is longer than {MAX_MILLIS} ms"))
                })
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Amount {
        Amount::Text(s.to_owned())
    }

    #[test]
    fn sizes_take_bytes_or_a_unit() {
        assert_eq!(size("s", &Amount::Number(10.0)).unwrap(), 10);
        assert_eq!(size("s", &text("512kb")).unwrap(), 512 * 1024);
        assert_eq!(size("s", &text("10MB")).unwrap(), 10 * 1024 * 1024);
        assert_eq!(size("s", &text("1.5 GB")).unwrap(), 3 * 512 * 1024 * 1024);
        for bad in ["10", "lots", ""] {
            assert!(size("s", &text(bad)).is_err(), "{bad}");
        }
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1.5, 1e300] {
            assert!(size("s", &Amount::Number(bad)).is_err(), "{bad}");
        }
        assert!(size("s", &text("100pb")).is_err());
    }

    #[test]
    fn durations_take_milliseconds_or_a_unit() {
        assert_eq!(
            duration("d", &Amount::Number(500.0)).unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            duration("d", &text("30s")).unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            duration("d", &text("5m")).unwrap(),
            Duration::from_secs(300)
        );
        assert_eq!(
            duration("d", &text("1h 30m")).unwrap(),
            Duration::from_secs(5400)
        );
        for bad in ["500", "soon", "1000d"] {
            assert!(duration("d", &text(bad)).is_err(), "{bad}");
        }
        let error = duration("limits.requestTimeout", &Amount::Number(1e300)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "limits.requestTimeout must be a whole number from 0 to 2147483647, got 1e300"
        );
    }
}
