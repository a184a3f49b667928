//! A request path as a file path under a root that it cannot leave. Written
//! by hand because the rules are the product's: each segment is
//! percent-decoded on its own (so an encoded `/` or `\` can never join two),
//! must be valid UTF-8, and may not be `..`, hold a separator, a NUL or a
//! drive letter (tower-http#204). Symlinks are checked against the root once
//! the file is found ([`super::statics`]).

use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// What a request path names under the root.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A relative path of plain segments (empty when it names the root).
    Path(PathBuf),
    /// A segment starts with a dot (`.env`, `.git/config`).
    Dotfile(PathBuf),
    /// Not a path under the root: traversal, an encoded separator, a NUL, a
    /// drive letter, or bytes that are not UTF-8.
    Refused,
}

/// The relative file path `path` (the request's, without the mount prefix
/// and query) names.
pub(crate) fn resolve(path: &str) -> Resolved {
    let mut relative = PathBuf::new();
    let mut dotfile = false;
    for (index, raw) in path.split('/').enumerate() {
        let Ok(segment) = percent_decode_str(raw).decode_utf8() else {
            return Resolved::Refused;
        };
        if segment.is_empty() || segment == "." {
            continue;
        }
        if segment == ".."
            || segment.contains(['/', '\\', '\0'])
            || (index <= 1 && is_drive(&segment))
        {
            return Resolved::Refused;
        }
        dotfile |= segment.starts_with('.');
        relative.push(segment.as_ref());
    }
    if dotfile {
        Resolved::Dotfile(relative)
    } else {
        Resolved::Path(relative)
    }
}

/// `C:` and the like, which Windows reads as another root.
fn is_drive(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_paths_and_refuses_every_way_out() {
        assert_eq!(
            resolve("/a/b.txt"),
            Resolved::Path(PathBuf::from("a/b.txt"))
        );
        assert_eq!(resolve("/a/./b//c"), Resolved::Path(PathBuf::from("a/b/c")));
        assert_eq!(resolve("/"), Resolved::Path(PathBuf::new()));
        assert_eq!(
            resolve("/%20space.txt"),
            Resolved::Path(PathBuf::from(" space.txt"))
        );
        assert_eq!(resolve("/.env"), Resolved::Dotfile(PathBuf::from(".env")));
        for nasty in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/a%2f..%2f..%2fetc/passwd",
            "/a%5c..%5cetc",
            "/a\\..\\etc",
            "/a%00.txt",
            "/C:/Windows/win.ini",
            "/c%3a/x",
            "/%ff%fe",
            "/%c0%ae%c0%ae/etc/passwd",
        ] {
            assert_eq!(resolve(nasty), Resolved::Refused, "{nasty}");
        }
    }
}
