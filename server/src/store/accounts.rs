//! Accounts: users, their server-side sessions and their API tokens. Sessions and tokens are kept
//! under the SHA-256 of their secret (`auth::secret_token`), so nothing here opens a session.

use std::fmt;

use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::{Store, StoreResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    #[sqlx(try_from = "i64")]
    pub id: UserId,
    pub username: String,
    /// argon2id, PHC string.
    pub password_hash: String,
    #[sqlx(rename = "is_admin")]
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
}

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        UserId(id)
    }
}

/// Hides the password hash: it is an offline-guessing target, never something to log.
impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("admin", &self.admin)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A user to create. The first account of a database is an administrator whatever `admin` says.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub admin: bool,
    /// Create it only when there is no account yet (sign-up on a closed server makes the first admin).
    pub only_if_first: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserInsert {
    Created(UserRecord),
    UsernameTaken,
    /// `only_if_first`, and accounts exist.
    NotFirst,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    /// Hex SHA-256 of the cookie value.
    pub id_hash: String,
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end.
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    pub name: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub hint: String,
    /// "read" or "write".
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str = "id, username, password_hash, is_admin, created_at, password_changed_at";
const SESSION_COLUMNS: &str = "id_hash, user_id, created_at, last_seen_at, expires_at, user_agent";
const TOKEN_COLUMNS: &str = "id, user_id, name, token_hash, hint, scope, created_at, last_used_at";

/// Whether the new user is an administrator is decided inside the INSERT, from the table it
/// inserts into: two first sign-ups cannot both see an empty table (SQLite serialises writers;
/// PostgreSQL takes a lock first, see `insert_user`). `WHERE` also keeps SQLite's parser from
/// reading `ON CONFLICT` as a join constraint.
const INSERT_USER: &str = "INSERT INTO users (username, password_hash, is_admin, created_at, password_changed_at)
     SELECT $1, $2, ($3 OR NOT EXISTS (SELECT 1 FROM users)), $4, $4
     WHERE NOT $5 OR NOT EXISTS (SELECT 1 FROM users)
     ON CONFLICT (username) DO NOTHING
     RETURNING id, username, password_hash, is_admin, created_at, password_changed_at";

/// A session or token row with its user's, columns prefixed `u_`.
fn joined(columns: &str, table: &str) -> String {
    let own: Vec<String> = columns.split(", ").map(|c| format!("t.{c}")).collect();
    let user: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c} AS u_{c}")).collect();
    format!("SELECT {}, {} FROM {table} t JOIN users u ON u.id = t.user_id", own.join(", "), user.join(", "))
}

/// Binds a [`NewUser`] to [`INSERT_USER`]'s parameters, on either backend.
macro_rules! bind_user {
    ($query:expr, $user:expr) => {
        $query.bind($user.username).bind($user.password_hash).bind($user.admin).bind($user.at).bind($user.only_if_first)
    };
}

impl Store {
    pub async fn insert_user(&self, user: &NewUser<'_>) -> StoreResult<UserInsert> {
        self.writing(async {
            let created: Option<UserRecord> = match &self.db {
                Db::Sqlite(pool) => bind_user!(sqlx::query_as(INSERT_USER), user).fetch_optional(pool).await?,
                Db::Postgres(pool) => {
                    // Conflicts with itself and with every insert: concurrent sign-ups take turns,
                    // and each sees whether an account exists. Readers are not blocked.
                    let mut tx = pool.begin().await?;
                    sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
                    let created = bind_user!(sqlx::query_as(INSERT_USER), user).fetch_optional(&mut *tx).await?;
                    tx.commit().await?;
                    created
                }
            };
            Ok(match created {
                Some(record) => UserInsert::Created(record),
                None if user.only_if_first => UserInsert::NotFirst,
                None => UserInsert::UsernameTaken,
            })
        })
        .await
    }

    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?))
    }

    pub async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await?))
    }

    /// Every account, by username.
    pub async fn users(&self) -> StoreResult<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    pub async fn count_users(&self) -> StoreResult<u64> {
        let n: i64 = on_pool!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?);
        Ok(n as u64)
    }

    /// Deletes the account; its sessions, tokens, credentials and grants go with it (foreign keys
    /// cascade). False when there was none.
    pub async fn delete_user(&self, id: UserId) -> StoreResult<bool> {
        self.writing(async {
            let sql = "DELETE FROM users WHERE id = $1";
            let n = on_pool!(&self.db, pool => sqlx::query(sql).bind(id.0).execute(pool).await?.rows_affected());
            Ok(n > 0)
        })
        .await
    }

    /// Makes the user an administrator, or not; false when there is no such user.
    pub async fn set_admin(&self, id: UserId, admin: bool) -> StoreResult<bool> {
        self.writing(async {
            let sql = "UPDATE users SET is_admin = $2 WHERE id = $1";
            let n = on_pool!(&self.db, pool => sqlx::query(sql).bind(id.0).bind(admin).execute(pool).await?.rows_affected());
            Ok(n > 0)
        })
        .await
    }

    pub async fn set_password_hash(&self, id: UserId, password_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        self.writing(async {
            let sql = "UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1";
            let n = on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(id.0).bind(password_hash).bind(at).execute(pool).await?.rows_affected());
            Ok(n > 0)
        })
        .await
    }

    pub async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.writing(async {
            let sql = format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
            on_pool!(&self.db, pool => sqlx::query(&sql)
                .bind(&session.id_hash)
                .bind(session.user_id.0)
                .bind(session.created_at)
                .bind(session.last_seen_at)
                .bind(session.expires_at)
                .bind(&session.user_agent)
                .execute(pool)
                .await
                .map(drop)?);
            Ok(())
        })
        .await
    }

    /// The session stored under `id_hash`, with its user.
    pub async fn session(&self, id_hash: &str) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
        let sql = joined(SESSION_COLUMNS, "sessions") + " WHERE t.id_hash = $1";
        let row: Option<SessionWithUser> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id_hash).fetch_optional(pool).await?);
        Ok(row.map(|r| (r.session, r.user.into())))
    }

    pub async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(id_hash).bind(at).execute(pool).await.map(drop)?);
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<bool> {
        self.writing(async {
            let sql = "DELETE FROM sessions WHERE id_hash = $1";
            let n = on_pool!(&self.db, pool => sqlx::query(sql).bind(id_hash).execute(pool).await?.rows_affected());
            Ok(n > 0)
        })
        .await
    }

    /// Ends every session of `user` but `keep` (an id hash); how many ended.
    pub async fn delete_other_sessions(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64> {
        self.writing(async {
            let sql = "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id_hash <> $2)";
            Ok(on_pool!(&self.db, pool => sqlx::query(sql).bind(user.0).bind(keep).execute(pool).await?.rows_affected()))
        })
        .await
    }

    /// The sessions of `user`, most recently seen first.
    pub async fn user_sessions(&self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, id_hash");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await?))
    }

    /// Deletes sessions past their absolute end (`expires_at <= now`) or idle since `idle_since`.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>, idle_since: DateTime<Utc>) -> StoreResult<u64> {
        self.writing(async {
            let sql = "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2";
            Ok(on_pool!(&self.db, pool => sqlx::query(sql).bind(now).bind(idle_since).execute(pool).await?.rows_affected()))
        })
        .await
    }

    /// Stores a token; `None` when its user already has one of that name.
    pub async fn insert_api_token(&self, token: &ApiTokenRecord) -> StoreResult<Option<ApiTokenRecord>> {
        self.writing(async {
            let sql = format!(
                "INSERT INTO api_tokens (user_id, name, token_hash, hint, scope, created_at, last_used_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING {TOKEN_COLUMNS}"
            );
            Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql)
                .bind(token.user_id.0)
                .bind(&token.name)
                .bind(&token.token_hash)
                .bind(&token.hint)
                .bind(&token.scope)
                .bind(token.created_at)
                .bind(token.last_used_at)
                .fetch_optional(pool)
                .await?))
        })
        .await
    }

    /// The token stored under `token_hash`, with its user.
    pub async fn api_token(&self, token_hash: &str) -> StoreResult<Option<(ApiTokenRecord, UserRecord)>> {
        let sql = joined(TOKEN_COLUMNS, "api_tokens") + " WHERE t.token_hash = $1";
        let row: Option<TokenWithUser> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?);
        Ok(row.map(|r| (r.token, r.user.into())))
    }

    /// The tokens of `user`, oldest first.
    pub async fn user_api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiTokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await?))
    }

    /// Deletes token `id` if `user` owns it; false otherwise.
    pub async fn delete_api_token(&self, user: UserId, id: i64) -> StoreResult<bool> {
        self.writing(async {
            let sql = "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2";
            Ok(on_pool!(&self.db, pool => sqlx::query(sql).bind(id).bind(user.0).execute(pool).await?.rows_affected()) > 0)
        })
        .await
    }

    pub async fn touch_api_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(id).bind(at).execute(pool).await.map(drop)?);
        Ok(())
    }
}

/// The user's columns of a joined row (`u_` prefixed).
#[derive(sqlx::FromRow)]
struct JoinedUser {
    u_id: i64,
    u_username: String,
    u_password_hash: String,
    u_is_admin: bool,
    u_created_at: DateTime<Utc>,
    u_password_changed_at: DateTime<Utc>,
}

impl From<JoinedUser> for UserRecord {
    fn from(u: JoinedUser) -> Self {
        UserRecord {
            id: UserId(u.u_id),
            username: u.u_username,
            password_hash: u.u_password_hash,
            admin: u.u_is_admin,
            created_at: u.u_created_at,
            password_changed_at: u.u_password_changed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionWithUser {
    #[sqlx(flatten)]
    session: SessionRecord,
    #[sqlx(flatten)]
    user: JoinedUser,
}

#[derive(sqlx::FromRow)]
struct TokenWithUser {
    #[sqlx(flatten)]
    token: ApiTokenRecord,
    #[sqlx(flatten)]
    user: JoinedUser,
}
