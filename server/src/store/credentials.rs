//! Users' registry credentials (passwords sealed by `secrets`, never stored as given), the grants
//! that let a user see a private repository their own credentials read, and the secret-key check row.

use chrono::{DateTime, Utc};

use super::db::on_pool;
use super::{RepositoryId, Store, StoreResult, UserId};

/// A saved credential as its owner's settings page lists it: never the password, sealed or not.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredCredential {
    pub registry: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_result: Option<String>,
}

/// What opening a credential needs: the username and the sealed password.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SealedCredential {
    pub username: String,
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedCredential({}:<{} sealed bytes>)", self.username, self.sealed.len())
    }
}

/// One sealed value for a rotation of the key: whose, sealed how.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRow {
    pub owner: SealedOwner,
    pub sealed: Vec<u8>,
}

/// What a sealed value belongs to (its sealing context is made from this).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealedOwner {
    /// A user's registry password.
    Registry { user_id: i64, registry: String },
    /// A notification channel's secret.
    Channel { id: i64, user_id: i64 },
}

impl Store {
    /// Saves `user`'s credential for `registry`, replacing the one saved before (its history of
    /// use goes with it: the new password has not been used yet).
    pub async fn save_registry_credential(
        &self,
        user: UserId,
        registry: &str,
        username: &str,
        sealed: &[u8],
    ) -> StoreResult<()> {
        let sql = "INSERT INTO registry_credentials (user_id, registry, username, sealed, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (user_id, registry) DO UPDATE SET username = excluded.username, sealed = excluded.sealed,
                 updated_at = excluded.updated_at, last_used_at = NULL, last_result = NULL";
        // Other credentials (another account at the registry) earn their own grants: the old
        // ones' are withdrawn with them, as on delete.
        let grants = "DELETE FROM repository_grants WHERE user_id = $1
             AND repository_id IN (SELECT id FROM repositories WHERE registry = $2)";
        self.writing(async {
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                sqlx::query(grants).bind(user.0).bind(registry).execute(&mut *tx).await?;
                sqlx::query(sql)
                    .bind(user.0).bind(registry).bind(username).bind(sealed).bind(Utc::now())
                    .execute(&mut *tx).await?;
                tx.commit().await?;
            });
            Ok(())
        })
        .await
    }

    /// `user`'s saved credentials, by registry.
    pub async fn registry_credentials(&self, user: UserId) -> StoreResult<Vec<StoredCredential>> {
        let sql = "SELECT registry, username, created_at, updated_at, last_used_at, last_result
             FROM registry_credentials WHERE user_id = $1 ORDER BY registry";
        Ok(on_pool!(&self.db, pool => sqlx::query_as(sql).bind(user.0).fetch_all(pool).await?))
    }

    pub async fn sealed_registry_credential(&self, user: UserId, registry: &str) -> StoreResult<Option<SealedCredential>> {
        let sql = "SELECT username, sealed FROM registry_credentials WHERE user_id = $1 AND registry = $2";
        Ok(on_pool!(&self.db, pool => sqlx::query_as(sql).bind(user.0).bind(registry).fetch_optional(pool).await?))
    }

    /// Deletes `user`'s credential for `registry` and, with it, the grants it earned: what those
    /// credentials opened stops being visible to the user. True when there was one.
    pub async fn delete_registry_credential(&self, user: UserId, registry: &str) -> StoreResult<bool> {
        let credential = "DELETE FROM registry_credentials WHERE user_id = $1 AND registry = $2";
        let grants = "DELETE FROM repository_grants WHERE user_id = $1
             AND repository_id IN (SELECT id FROM repositories WHERE registry = $2)";
        self.writing(async {
            let deleted = on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                sqlx::query(grants).bind(user.0).bind(registry).execute(&mut *tx).await?;
                let deleted = sqlx::query(credential).bind(user.0).bind(registry).execute(&mut *tx).await?;
                tx.commit().await?;
                deleted.rows_affected()
            });
            Ok(deleted > 0)
        })
        .await
    }

    /// Records what the last use (an inspection or a test) of a credential found.
    pub async fn record_registry_credential_use(&self, user: UserId, registry: &str, result: &str) -> StoreResult<()> {
        // Every page view of a private image is a use: one write a minute per user and registry is
        // enough for "last used", unless the result changed.
        let sql = "UPDATE registry_credentials SET last_used_at = $3, last_result = $4
             WHERE user_id = $1 AND registry = $2
               AND (last_used_at IS NULL OR last_used_at < $5 OR last_result IS NULL OR last_result <> $4)";
        let now = Utc::now();
        self.writing(async {
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(user.0).bind(registry).bind(now).bind(result).bind(now - chrono::Duration::minutes(1))
                .execute(pool).await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// Records that `user`'s own credentials read `repository` now (re-checked after the tag TTL).
    pub async fn grant_repository(&self, user: UserId, repository: RepositoryId) -> StoreResult<()> {
        self.grant_repository_at(user, repository, Utc::now()).await
    }

    /// The same, confirmed by the registry at `at` (a grant's age decides when it is re-checked).
    pub async fn grant_repository_at(&self, user: UserId, repository: RepositoryId, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "INSERT INTO repository_grants (user_id, repository_id, checked_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, repository_id) DO UPDATE SET checked_at = excluded.checked_at";
        self.writing(async {
            on_pool!(&self.db, pool => sqlx::query(sql).bind(user.0).bind(repository.0).bind(at)
                .execute(pool).await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// When `user`'s credentials last read `repository`, if they ever did.
    pub async fn repository_grant(&self, user: UserId, repository: RepositoryId) -> StoreResult<Option<DateTime<Utc>>> {
        let sql = "SELECT checked_at FROM repository_grants WHERE user_id = $1 AND repository_id = $2";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(user.0).bind(repository.0)
            .fetch_optional(pool).await?))
    }

    /// Withdraws a grant (the registry refused the user's credentials on a re-check).
    pub async fn revoke_repository_grant(&self, user: UserId, repository: RepositoryId) -> StoreResult<bool> {
        let sql = "DELETE FROM repository_grants WHERE user_id = $1 AND repository_id = $2";
        self.writing(async {
            let deleted = on_pool!(&self.db, pool => sqlx::query(sql).bind(user.0).bind(repository.0)
                .execute(pool).await?.rows_affected());
            Ok(deleted > 0)
        })
        .await
    }

    /// The check row's sealed text, if one was written.
    pub async fn secret_key_check(&self) -> StoreResult<Option<Vec<u8>>> {
        let sql = "SELECT sealed FROM secret_key_check WHERE id = 1";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).fetch_optional(pool).await?))
    }

    /// Writes the check row unless one exists, and returns the row kept (another replica's, if it
    /// was first).
    pub async fn put_secret_key_check(&self, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        let insert = "INSERT INTO secret_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";
        let select = "SELECT sealed FROM secret_key_check WHERE id = 1";
        self.writing(async {
            Ok(on_pool!(&self.db, pool => {
                sqlx::query(insert).bind(sealed).execute(pool).await?;
                sqlx::query_scalar(select).fetch_one(pool).await?
            }))
        })
        .await
    }

    /// Re-seals every stored credential and the check row in one transaction (a key rotation).
    /// `reseal` gets each row and answers its new sealed value, or fails the whole rotation, which
    /// then changes nothing. The number of credentials re-sealed.
    pub async fn reseal_credentials<E: From<super::StoreError>>(
        &self,
        check: &[u8],
        mut reseal: impl FnMut(&SealedRow) -> Result<Vec<u8>, E>,
    ) -> Result<usize, E> {
        let registries = "SELECT user_id, registry, sealed FROM registry_credentials ORDER BY user_id, registry";
        let update_registry = "UPDATE registry_credentials SET sealed = $3 WHERE user_id = $1 AND registry = $2";
        let channels = "SELECT id, user_id, sealed FROM channels WHERE sealed IS NOT NULL ORDER BY id";
        let update_channel = "UPDATE channels SET sealed = $2 WHERE id = $1";
        let put_check = "INSERT INTO secret_key_check (id, sealed) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed";
        let result = async {
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await.map_err(super::StoreError::from)?;
                // Written first: on SQLite this takes the write lock before anything is read, and
                // on PostgreSQL it serialises two rotations on the check row.
                sqlx::query(put_check).bind(check).execute(&mut *tx).await.map_err(super::StoreError::from)?;
                let rows: Vec<(i64, String, Vec<u8>)> =
                    sqlx::query_as(registries).fetch_all(&mut *tx).await.map_err(super::StoreError::from)?;
                let mut count = 0;
                for (user_id, registry, sealed) in rows {
                    let row = SealedRow { owner: SealedOwner::Registry { user_id, registry: registry.clone() }, sealed };
                    let sealed = reseal(&row)?;
                    sqlx::query(update_registry)
                        .bind(user_id)
                        .bind(&registry)
                        .bind(sealed)
                        .execute(&mut *tx)
                        .await
                        .map_err(super::StoreError::from)?;
                    count += 1;
                }
                let rows: Vec<(i64, i64, Vec<u8>)> =
                    sqlx::query_as(channels).fetch_all(&mut *tx).await.map_err(super::StoreError::from)?;
                for (id, user_id, sealed) in rows {
                    let sealed = reseal(&SealedRow { owner: SealedOwner::Channel { id, user_id }, sealed })?;
                    sqlx::query(update_channel)
                        .bind(id)
                        .bind(sealed)
                        .execute(&mut *tx)
                        .await
                        .map_err(super::StoreError::from)?;
                    count += 1;
                }
                tx.commit().await.map_err(super::StoreError::from)?;
                Ok(count)
            })
        }
        .await;
        self.changed();
        result
    }
}
