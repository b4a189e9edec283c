//! The job queue under contention, on both backends: replicas (separate pools on one database)
//! claiming at once never both take a job; an idle claim changes nothing.

use shipshape::config::DatabaseUrl;
use shipshape::store::{self, NewJob, SharedStore};
use shipshape_testkit::TestDatabase;

async fn one_winner_per_job(one: SharedStore, two: SharedStore) {
    let jobs = 6;
    for i in 0..jobs {
        one.enqueue_job(&job(i)).await.unwrap().unwrap();
    }
    // Twice as many claimers as jobs, half on each replica, all at once.
    let claims: Vec<_> = (0..2 * jobs)
        .map(|i| {
            let store = if i % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move {
                let lease = std::time::Duration::from_secs(600);
                store.claim_job(&["scan"], &format!("worker-{i}"), lease).await.unwrap()
            })
        })
        .collect();
    let mut won = Vec::new();
    for claim in claims {
        if let Some(job) = claim.await.unwrap() {
            won.push(job.id);
        }
    }
    won.sort_unstable();
    let before = won.len();
    won.dedup();
    assert_eq!(before, won.len(), "a job was claimed twice: {won:?}");
    assert_eq!(won.len(), jobs, "every job was claimed once");

    // An idle poll writes nothing a page shows: pages kept in memory stay (see page_cache.rs).
    let changes = one.changes();
    assert!(one.claim_job(&["scan"], "idle", std::time::Duration::from_secs(600)).await.unwrap().is_none());
    assert_eq!(one.changes(), changes);
    let again = NewJob { dedupe_key: Some("scan:0".into()), ..job(0) };
    assert!(one.enqueue_job(&again).await.unwrap().is_none(), "deduplicated");
    assert_eq!(one.changes(), changes);
}

fn job(i: usize) -> NewJob {
    NewJob {
        kind: "scan".into(),
        payload: format!("{{\"n\":{i}}}"),
        dedupe_key: Some(format!("scan:{i}")),
        priority: 0,
        run_at: chrono::Utc::now(),
        max_attempts: 3,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_claims_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("shipshape.db"));
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    one_winner_per_job(one, two).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_claims_have_one_winner() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let url = DatabaseUrl::parse(db.url()).unwrap();
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    one_winner_per_job(one.clone(), two.clone()).await;
    drop((one, two));
    db.drop_database().await.unwrap();
}
