//! Response heads from parts another runtime hands over (in Armature, a
//! handler's status and headers from JS), checked before they reach hyper:
//! a bad one is refused with a message naming it, never sent.

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// `status` and `headers` as a response head: the status must be 200 to 999
/// (1xx are not final answers), and every header name and value must be one
/// HTTP can carry. `reserve` makes room for headers the caller adds.
pub fn head<'a>(
    status: u32,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    reserve: usize,
) -> Result<(StatusCode, HeaderMap), String> {
    let status = u16::try_from(status)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|s| s.as_u16() >= 200)
        .ok_or_else(|| format!("invalid status {status}: use 200 to 999"))?;
    let headers = headers.into_iter();
    let mut map = HeaderMap::with_capacity(headers.size_hint().0 + reserve);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name '{name}'"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header '{name}'"))?;
        map.append(name, value);
    }
    Ok((status, map))
}

#[cfg(test)]
mod tests {
    use super::head;

    /// A status, headers, and the header count or the error expected.
    type Case = (
        u32,
        &'static [(&'static str, &'static str)],
        Result<usize, &'static str>,
    );

    #[test]
    fn takes_valid_heads_and_names_what_is_wrong() {
        let cases: [Case; 9] = [
            (200, &[], Ok(0)),
            (
                999,
                &[("x-a", "1"), ("x-a", "2"), ("Set-Cookie", "a=b")],
                Ok(3),
            ),
            (204, &[("content-type", "text/plain; charset=utf-8")], Ok(1)),
            (199, &[], Err("invalid status 199: use 200 to 999")),
            (1000, &[], Err("invalid status 1000: use 200 to 999")),
            (
                u32::MAX,
                &[],
                Err("invalid status 4294967295: use 200 to 999"),
            ),
            (
                200,
                &[("bad name", "x")],
                Err("invalid header name 'bad name'"),
            ),
            (200, &[("", "x")], Err("invalid header name ''")),
            (
                200,
                &[("x-a", "line\nbreak")],
                Err("invalid value for header 'x-a'"),
            ),
        ];
        for (status, headers, expected) in cases {
            let got = head(status, headers.iter().copied(), 1).map(|(_, map)| map.len());
            assert_eq!(got, expected.map_err(str::to_owned), "{status} {headers:?}");
        }
    }
}
