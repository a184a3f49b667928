//! Armature's path syntax (`/users/:id`, `/files/*path`) and its translation
//! to matchit's (`/users/{id}`, `/files/{*path}`).

use crate::Error;

/// A route path checked and translated, with its parameter names in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(crate) matchit: String,
    pub(crate) params: Vec<String>,
}

/// Parses `path`, naming the problem when it is not valid route syntax.
pub(crate) fn parse(path: &str) -> Result<Pattern, Error> {
    let invalid = |why: &str| Error::invalid_route(format!("invalid route '{path}': {why}"));
    if !path.starts_with('/') {
        return Err(invalid("a route path must start with '/'"));
    }
    let mut matchit = String::with_capacity(path.len() + 8);
    let mut params = Vec::new();
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (index, segment) in segments.iter().enumerate() {
        matchit.push('/');
        let (catch_all, name) = match segment.as_bytes().first() {
            Some(b':') => (false, &segment[1..]),
            Some(b'*') => (true, &segment[1..]),
            _ => {
                if segment.contains(['*', ':']) {
                    return Err(invalid(
                        "':' and '*' may only start a segment, as in /users/:id or /files/*path",
                    ));
                }
                matchit.push_str(&segment.replace('{', "{{").replace('}', "}}"));
                continue;
            }
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(invalid(
                "a parameter needs a name of letters, digits and '_', as in :id or *path",
            ));
        }
        if params.iter().any(|p| p == name) {
            return Err(invalid(&format!("the parameter '{name}' appears twice")));
        }
        if catch_all && index + 1 != segments.len() {
            return Err(invalid("a wildcard (*name) must be the last segment"));
        }
        matchit.push_str(if catch_all { "{*" } else { "{" });
        matchit.push_str(name);
        matchit.push('}');
        params.push(name.to_owned());
    }
    Ok(Pattern { matchit, params })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn translates_valid_paths() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("/", "/", &[]),
            ("/users", "/users", &[]),
            ("/users/:id", "/users/{id}", &["id"]),
            (
                "/users/:id/posts/:post_id",
                "/users/{id}/posts/{post_id}",
                &["id", "post_id"],
            ),
            ("/files/*path", "/files/{*path}", &["path"]),
            ("/a{b}", "/a{{b}}", &[]),
            ("/users/", "/users/", &[]),
        ];
        for (path, matchit, params) in cases {
            let pattern = parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(pattern.matchit, *matchit, "{path}");
            assert_eq!(pattern.params, *params, "{path}");
        }
    }

    #[test]
    fn rejects_invalid_paths() {
        let cases = [
            ("users", "must start with '/'"),
            ("/users/:", "needs a name"),
            ("/users/:id-x", "needs a name"),
            ("/files/*", "needs a name"),
            ("/files/*path/more", "must be the last segment"),
            ("/a/:id/b/:id", "appears twice"),
            ("/user:id", "may only start a segment"),
        ];
        for (path, why) in cases {
            let error = parse(path).expect_err(path);
            assert!(error.is_invalid_route(), "{path}");
            assert!(error.to_string().contains(why), "{path}: {error}");
            assert!(error.to_string().contains(path), "{path}: {error}");
        }
    }
}
