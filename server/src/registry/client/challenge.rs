//! `WWW-Authenticate` challenges (RFC 7235) as registries send them on a 401:
//! `Bearer realm="https://auth.example/token",service="registry.example"` or `Basic realm="…"`.
//! The header is the registry's to write, so the parser takes any bytes, in one pass.

/// What a 401 asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// A token from `realm`, for `service`.
    Bearer { realm: String, service: Option<String> },
    /// Anything else (Basic, or a scheme Shipshape does not speak): credentials go as basic auth.
    Other,
}

impl Challenge {
    /// The Bearer challenge among those in `headers` if there is one with a realm, else `Other`.
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> Challenge {
        headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .flat_map(|value| parse(value.as_bytes()))
            .find_map(|(scheme, params)| {
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return None;
                }
                let param = |name: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
                let realm = param("realm").filter(|r| !r.is_empty())?.clone();
                Some(Challenge::Bearer { realm, service: param("service").cloned() })
            })
            .unwrap_or(Challenge::Other)
    }
}

type Params = Vec<(String, String)>;

/// Every challenge in one header value: its scheme and its `name=value` parameters.
fn parse(header: &[u8]) -> Vec<(String, Params)> {
    let mut cursor = Cursor { bytes: header, at: 0 };
    let mut challenges: Vec<(String, Params)> = Vec::new();
    loop {
        cursor.skip(b" \t,");
        if cursor.done() {
            return challenges;
        }
        let start = cursor.at;
        let name = cursor.token();
        if name.is_empty() {
            cursor.at += 1; // not a token character: skip it
            continue;
        }
        cursor.skip(b" \t");
        match (cursor.peek(), challenges.last_mut()) {
            (Some(b'='), Some((_, params))) => {
                cursor.at += 1;
                cursor.skip(b" \t");
                let value = if cursor.peek() == Some(b'"') { cursor.quoted() } else { cursor.token() };
                params.push((name, value));
            }
            // A parameter before any scheme, or a token68 (`Basic abc==`): nothing to use.
            (Some(b'='), None) => cursor.at = start + name.len() + 1,
            _ => challenges.push((name, Vec::new())),
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|b| set.contains(&b)) {
            self.at += 1;
        }
    }

    /// RFC 7230 `token` characters (and `/`, which unquoted realms contain in the wild).
    fn token(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/:".contains(&b)) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned()
    }

    /// A quoted string starting at the opening quote, with `\` escapes undone.
    fn quoted(&mut self) -> String {
        self.at += 1;
        let mut value = Vec::new();
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' if !self.done() => {
                    value.extend(self.peek());
                    self.at += 1;
                }
                other => value.push(other),
            }
        }
        String::from_utf8_lossy(&value).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};

    use super::*;

    fn challenge(values: &[&str]) -> Challenge {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(WWW_AUTHENTICATE, HeaderValue::from_str(value).unwrap());
        }
        Challenge::from_headers(&headers)
    }

    #[test]
    fn bearer_with_realm_and_service() {
        let bearer = |realm: &str, service: Option<&str>| Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
        };
        assert_eq!(
            challenge(&[
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ]),
            bearer("https://auth.docker.io/token", Some("registry.docker.io"))
        );
        assert_eq!(challenge(&["bearer REALM=http://a:1/t"]), bearer("http://a:1/t", None));
        assert_eq!(challenge(&[r#"Basic realm="x", Bearer realm="a\"b""#]), bearer("a\"b", None));
        assert_eq!(challenge(&[r#"Basic realm="x""#, r#"Bearer realm="r""#]), bearer("r", None));
    }

    #[test]
    fn anything_else_is_other() {
        for value in [r#"Basic realm="registry""#, "Bearer", r#"Bearer realm="""#, "=,=\"", "realm=\"x\", Negotiate"] {
            assert_eq!(challenge(&[value]), Challenge::Other, "{value}");
        }
        assert_eq!(challenge(&[]), Challenge::Other);
    }
}
