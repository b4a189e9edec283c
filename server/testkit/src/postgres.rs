//! `TestDatabase`: a fresh, empty PostgreSQL database per test on the server `make test` starts.
//!
//! `TEST_POSTGRES_URL` names a role that may create databases (`make test` sets it). Without it the
//! PostgreSQL half of a test is skipped with a message, unless `TEST_REQUIRE_POSTGRES=1` (CI) makes
//! that a failure.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};

use crate::HarnessError;

pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// A new database, or `None` when no server is configured and none is required.
    pub async fn create() -> Result<Option<Self>, HarnessError> {
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            if std::env::var("TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("TEST_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: run the tests with `make test`");
            }
            eprintln!("skipping PostgreSQL: TEST_POSTGRES_URL is not set (`make test` sets it)");
            return Ok(None);
        };
        let name = format!(
            "shipshape_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = PgConnection::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        let url = replace_database(&admin_url, &name);
        Ok(Some(Self { admin_url, name, url }))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database (connections closed first); call at the end of the test.
    pub async fn drop_database(self) -> Result<(), HarnessError> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // FORCE may not end a superuser's session in it (an autovacuum worker busy with the rows a
        // test wrote: 42501): it ends soon, so try again for a while.
        for _ in 0..50 {
            match sqlx::query(&statement).execute(&mut admin).await {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                result => {
                    result?;
                    return Ok(());
                }
            }
        }
        sqlx::query(&statement).execute(&mut admin).await?;
        Ok(())
    }
}

/// `postgres://u:p@h:5432/postgres?x=y` with the database path replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{database}?{query}"),
        None => format!("{host_part}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(super::replace_database("postgres://u:p@h:5432/postgres", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(
            super::replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
