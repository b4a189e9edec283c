//! The job queue under contention, on both backends: replicas (separate pools on one database)
//! claiming at once never both take a job.

use shipshape::config::DatabaseUrl;
use shipshape::store::{self, NewJob, SharedStore};
use shipshape_testkit::TestDatabase;

async fn one_winner_per_job(one: SharedStore, two: SharedStore) {
    let jobs = 6;
    for i in 0..jobs {
        let job = NewJob {
            kind: "scan".into(),
            payload: format!("{{\"n\":{i}}}"),
            dedupe_key: Some(format!("scan:{i}")),
            priority: 0,
            run_at: chrono::Utc::now(),
            max_attempts: 3,
        };
        one.enqueue_job(&job).await.unwrap().unwrap();
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
