//! Form bodies: `application/x-www-form-urlencoded` pairs, decoded by the
//! `form_urlencoded` crate (`+` as a space, percent escapes, invalid UTF-8
//! replaced by U+FFFD), in their order.

/// The name and value pairs of a URL-encoded body, repeated names included.
pub fn url_encoded(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_in_order() {
        let pairs = url_encoded(b"a=1&b=x+y&a=%C3%A9&empty=&flag");
        let expected = [
            ("a", "1"),
            ("b", "x y"),
            ("a", "é"),
            ("empty", ""),
            ("flag", ""),
        ];
        assert_eq!(
            pairs,
            expected.map(|(n, v)| (n.to_owned(), v.to_owned())).to_vec()
        );
    }
}
