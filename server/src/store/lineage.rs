//! The lineage index: each platform image's chain IDs, index membership, and the tags that named an
//! image over time.

use app::digest::Digest;
use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::{Repository, RepositoryId, Store, StoreError, StoreResult, Visibility, VisibleTo};

/// A platform image's layer stack in the lineage index: `chain[i]` is the chain ID of layers 0..=i.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageChain {
    pub manifest_digest: Digest,
    pub chain: Vec<String>,
    pub created: Option<DateTime<Utc>>,
}

/// An indexed image, without its full chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainImage {
    pub manifest_digest: Digest,
    pub top_chain: String,
    pub layer_count: usize,
    pub created: Option<DateTime<Utc>>,
}

/// A tag that named an image, directly or through an index, at some point in its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagNaming {
    pub repository: Repository,
    pub tag: String,
    /// What the tag names now (an index or an image).
    pub current_digest: Digest,
    /// When the latest period in which the tag named the image began.
    pub named_since: DateTime<Utc>,
    /// When the tag moved on from the image; `None` while it still names it.
    pub moved_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    manifest_digest: String,
    top_chain: String,
    layer_count: i64,
    created: Option<DateTime<Utc>>,
}

impl TryFrom<ChainRow> for ChainImage {
    type Error = StoreError;
    fn try_from(row: ChainRow) -> StoreResult<Self> {
        Ok(ChainImage {
            manifest_digest: Digest::parse(&row.manifest_digest)?,
            top_chain: row.top_chain,
            layer_count: row.layer_count.max(0) as usize,
            created: row.created,
        })
    }
}

/// One period in which a tag named an image (see `tags_naming`).
#[derive(sqlx::FromRow)]
struct NamingRow {
    repository_id: i64,
    registry: String,
    repository: String,
    visibility: String,
    tag_id: i64,
    tag: String,
    current_digest: String,
    first_seen: DateTime<Utc>,
    moved_at: Option<DateTime<Utc>>,
}

/// Keeps each tag's latest naming period, from rows in period order.
fn latest_naming(rows: Vec<NamingRow>) -> StoreResult<Vec<TagNaming>> {
    let mut latest: Vec<(i64, TagNaming)> = Vec::new();
    for row in rows {
        let naming = TagNaming {
            repository: Repository {
                id: RepositoryId(row.repository_id),
                registry: row.registry,
                name: row.repository,
                visibility: Visibility::parse(&row.visibility),
            },
            tag: row.tag,
            current_digest: Digest::parse(&row.current_digest)?,
            named_since: row.first_seen,
            moved_at: row.moved_at,
        };
        match latest.iter_mut().find(|(id, _)| *id == row.tag_id) {
            Some(slot) => slot.1 = naming,
            None => latest.push((row.tag_id, naming)),
        }
    }
    Ok(latest.into_iter().map(|(_, naming)| naming).collect())
}

const CHAIN_COLUMNS: &str = "SELECT manifest_digest, top_chain, layer_count, created FROM image_chains";

const CHILDREN_PER_STATEMENT: usize = 1000;

impl Store {
    /// Indexes a platform image's chain IDs (once; later calls are no-ops). Both statements are
    /// idempotent, so a crash between them is healed by the next call.
    pub async fn put_image_chain(&self, chain: &ImageChain) -> StoreResult<()> {
        self.writing(async {
            let Some(top) = chain.chain.last() else { return Ok(()) };
            let image = "INSERT INTO image_chains (manifest_digest, top_chain, layer_count, created) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (manifest_digest) DO NOTHING";
            on_pool!(&self.db, pool => sqlx::query(image)
                .bind(chain.manifest_digest.as_str())
                .bind(top)
                .bind(chain.chain.len() as i64)
                .bind(chain.created)
                .execute(pool)
                .await.map(drop)?);
            match &self.db {
                Db::Sqlite(pool) => {
                    let mut links = sqlx::QueryBuilder::new("INSERT INTO chain_links (manifest_digest, position, chain_id) ");
                    links.push_values(chain.chain.iter().enumerate(), |mut row, (position, id)| {
                        row.push_bind(chain.manifest_digest.as_str()).push_bind(position as i64).push_bind(id);
                    });
                    links.push(" ON CONFLICT DO NOTHING").build().execute(pool).await?;
                }
                Db::Postgres(pool) => {
                    let positions: Vec<i64> = (0..chain.chain.len() as i64).collect();
                    let sql = "INSERT INTO chain_links (manifest_digest, position, chain_id)
                         SELECT $1, position, chain_id FROM UNNEST($2::BIGINT[], $3::TEXT[]) AS links (position, chain_id)
                         ON CONFLICT DO NOTHING";
                    let digest = chain.manifest_digest.as_str();
                    sqlx::query(sql).bind(digest).bind(&positions).bind(&chain.chain).execute(pool).await?;
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn image_chain(&self, manifest_digest: &Digest) -> StoreResult<Option<ChainImage>> {
        let sql = format!("{CHAIN_COLUMNS} WHERE manifest_digest = $1");
        let row: Option<ChainRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(manifest_digest.as_str())
            .fetch_optional(pool)
            .await?);
        row.map(ChainImage::try_from).transpose()
    }

    /// Indexed images whose whole stack is one of `top_chains`.
    pub async fn images_with_top_chain(&self, top_chains: &[String]) -> StoreResult<Vec<ChainImage>> {
        if top_chains.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ChainRow> = on_pool!(&self.db, pool => {
            let mut query = sqlx::QueryBuilder::new(format!("{CHAIN_COLUMNS} WHERE top_chain IN ("));
            let mut list = query.separated(", ");
            for chain in top_chains {
                list.push_bind(chain);
            }
            query.push(")");
            query.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(ChainImage::try_from).collect()
    }

    /// Images built on top of the stack `chain_id` (which has `layer_count` layers): descendants.
    pub async fn images_built_on(&self, chain_id: &str, layer_count: usize) -> StoreResult<Vec<Digest>> {
        let sql = "SELECT i.manifest_digest FROM chain_links c JOIN image_chains i ON i.manifest_digest = c.manifest_digest
             WHERE c.chain_id = $1 AND c.position = $2 AND i.layer_count > $3 ORDER BY i.manifest_digest";
        let digests: Vec<String> = on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(chain_id)
            .bind(layer_count as i64 - 1)
            .bind(layer_count as i64)
            .fetch_all(pool)
            .await?);
        parse_all(&digests)
    }

    pub async fn put_index_children(&self, index_digest: &Digest, children: &[Digest]) -> StoreResult<()> {
        self.writing(async {
            if children.is_empty() {
                return Ok(());
            }
            // Two parameters a child: an index of 25,000 entries would pass SQLite's 32,766 in one statement.
            for chunk in children.chunks(CHILDREN_PER_STATEMENT) {
                on_pool!(&self.db, pool => {
                    let mut insert = sqlx::QueryBuilder::new("INSERT INTO index_children (index_digest, child_digest) ");
                    insert.push_values(chunk, |mut row, child| {
                        row.push_bind(index_digest.as_str()).push_bind(child.as_str());
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert.build().execute(pool).await?;
                });
            }
            Ok(())
        })
        .await
    }

    pub async fn index_children(&self, index_digest: &Digest) -> StoreResult<Vec<Digest>> {
        let sql = "SELECT child_digest FROM index_children WHERE index_digest = $1 ORDER BY child_digest";
        let children: Vec<String> =
            on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(index_digest.as_str()).fetch_all(pool).await?);
        parse_all(&children)
    }

    /// Every tag whose history names the image, itself or through an index that lists it, in the
    /// repositories `visible` may see (a private base never names anyone else's base).
    pub async fn tags_naming(&self, manifest_digest: &Digest, visible: VisibleTo) -> StoreResult<Vec<TagNaming>> {
        let sql = format!("SELECT r.id AS repository_id, r.registry, r.name AS repository, r.visibility, t.id AS tag_id,
                    t.name AS tag, t.digest AS current_digest, h.first_seen,
                    (SELECT MIN(n.first_seen) FROM tag_history n WHERE n.tag_id = h.tag_id AND n.id > h.id) AS moved_at
             FROM tag_history h JOIN tags t ON t.id = h.tag_id JOIN repositories r ON r.id = t.repository_id
             WHERE (h.digest = $1 OR h.digest IN (SELECT index_digest FROM index_children WHERE child_digest = $1))
               AND {}
             ORDER BY h.id", VisibleTo::condition("r", 2));
        let (all, repository, user) = visible.params();
        let rows: Vec<NamingRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(manifest_digest.as_str()).bind(all).bind(repository).bind(user)
            .fetch_all(pool).await?);
        latest_naming(rows)
    }
}

/// Digests read back from the index.
fn parse_all(digests: &[String]) -> StoreResult<Vec<Digest>> {
    digests.iter().map(|d| Ok(Digest::parse(d)?)).collect()
}
