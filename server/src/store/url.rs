//! Which database to use, chosen by URL scheme, and a secret string that stays out of logs (the
//! store owns it; `config` reads it from SHIPSHAPE_DATABASE_URL).

use std::fmt;
use std::path::PathBuf;

/// The database to use, chosen by URL scheme. `Debug` and `Display` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(Secret),
}

/// A string that must not reach logs: `Debug` prints it with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A URL whose password must stay out of logs.
    pub fn new(url: String) -> Self {
        Self(url)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url_password(&self.0))
    }
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(rest) = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("sqlite URL needs a file path, e.g. sqlite://./data/shipshape.db".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(Secret(value.to_string())))
        } else {
            Err(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB",
                redact_url_password(value)
            ))
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => write!(f, "{url:?}"),
        }
    }
}

/// The URL with every password masked: the userinfo's, and any query parameter whose name holds
/// `password` (libpq's `password` and `sslpassword`; sqlx decodes names, so `pass%77ord` counts).
/// The userinfo runs to the last `@`: a password may hold `/`, `?` or `@` unencoded, and masking
/// too much in a log line is better than too little.
fn redact_url_password(url: &str) -> String {
    let (head, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let (userinfo, location) = match rest.rsplit_once('@') {
        Some((userinfo, location)) => match userinfo.split_once(':') {
            Some((user, _)) => (format!("{user}:***@"), location),
            None => (format!("{userinfo}@"), location),
        },
        None => (String::new(), rest),
    };
    let location = match location.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_query(query)),
        None => location.to_string(),
    };
    format!("{head}{userinfo}{location}")
}

fn redact_query(query: &str) -> String {
    let masked = query.split('&').map(|pair| {
        let name = url::form_urlencoded::parse(pair.as_bytes()).next().map(|(name, _)| name.to_ascii_lowercase());
        match (name, pair.split_once('=')) {
            (Some(name), Some((raw, _))) if name.contains("password") => format!("{raw}=***"),
            _ => pair.to_string(),
        }
    });
    masked.collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_wherever_they_are_written() {
        let cases = [
            ("postgres://app:s3cr3t@db:5432/shipshape", "postgres://app:***@db:5432/shipshape"),
            ("postgres://db/shipshape?user=app&password=s3cr3t", "postgres://db/shipshape?user=app&password=***"),
            ("postgres://db/x?pass%77ord=s3cr3t&sslmode=require", "postgres://db/x?pass%77ord=***&sslmode=require"),
            ("postgres://db/x?sslpassword=s3cr3t", "postgres://db/x?sslpassword=***"),
            ("postgres://app:s3/cr?3t@db/x?PASSWORD=s3cr3t", "postgres://app:***@db/x?PASSWORD=***"),
            ("postgres://app@db/x", "postgres://app@db/x"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url_password(url), shown);
            let parsed = DatabaseUrl::parse(url).unwrap();
            for text in [parsed.to_string(), format!("{parsed:?}")] {
                assert!(!text.contains("s3cr3t") && !text.contains("cr?3t"), "{text}");
            }
        }
        let err = DatabaseUrl::parse("mysql://root:s3cr3t@db/x?password=s3cr3t").unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
