//! The job runner in one process: panics, retries, schedules shared by two runners, a graceful
//! stop that hands a running job back, and lanes that keep long jobs from holding back short ones.
//! The job kinds here exist only for these tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shipshape::config::{Config, DatabaseUrl};
use shipshape::jobs::{self, BackgroundJob, Context, JobError, Lane, Runner, RunningJob};
use shipshape::services::Services;
use shipshape::store::{self, JobState, SharedStore};

async fn context(store: SharedStore) -> Context {
    let config = Config::from_vars(Vec::new()).unwrap();
    let services = Services::new(store.clone(), &config);
    Context {
        store,
        inspector: services.inspector.clone(),
        policy: Arc::new(shipshape::net::Policy::new(config.allow_hosts.clone())),
        base_images: config.base_images.clone(),
        vulndb: config.vulndb.clone(),
        registry_timeout: config.registry_timeout,
        scan_limits: config.scan,
        credentials_for: None,
        notifier: None,
    }
}

async fn sqlite(dir: &tempfile::TempDir) -> SharedStore {
    store::open(&DatabaseUrl::Sqlite(dir.path().join("jobs.db"))).await.unwrap()
}

#[derive(Serialize, Deserialize)]
struct Panics {}

#[async_trait::async_trait]
impl BackgroundJob for Panics {
    const KIND: &'static str = "test_panics";
    async fn run(&self, _: &Context, _: &RunningJob) -> Result<(), JobError> {
        let revision = "é".repeat(8);
        let _ = &revision[..3]; // not a char boundary
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct Flaky {}

#[async_trait::async_trait]
impl BackgroundJob for Flaky {
    const KIND: &'static str = "test_flaky";
    async fn run(&self, _: &Context, _: &RunningJob) -> Result<(), JobError> {
        Err(JobError::Retry("registry busy".into()))
    }
}

#[tokio::test]
async fn a_panicking_job_fails_with_its_reason_and_the_runner_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let runner = Runner::new(context(store.clone()).await).register::<Panics>().register::<Flaky>();
    let panicked = jobs::enqueue(&store, &Panics {}).await.unwrap().unwrap();
    let flaky = jobs::enqueue(&store, &Flaky {}).await.unwrap().unwrap();
    assert_eq!(runner.drain().await.unwrap(), 2, "the panic did not stop the runner");

    let failed = store.job(panicked).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.error.as_deref().unwrap().starts_with("the job panicked: end byte index 3 is not a char boundary"), "{failed:?}");
    let retried = store.job(flaky).await.unwrap().unwrap();
    assert_eq!((retried.state, retried.attempts, retried.error.as_deref()), (JobState::Queued, 1, Some("registry busy")));
    let wait = retried.run_at - chrono::Utc::now();
    assert!(wait > chrono::Duration::seconds(20) && wait <= chrono::Duration::seconds(30), "backoff: {wait}");
}

static ROUNDS: AtomicUsize = AtomicUsize::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static OVERLAPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize, Deserialize)]
struct Round {}

#[async_trait::async_trait]
impl BackgroundJob for Round {
    const KIND: &'static str = "test_round";
    async fn run(&self, _: &Context, _: &RunningJob) -> Result<(), JobError> {
        if RUNNING.fetch_add(1, Ordering::SeqCst) > 0 {
            OVERLAPS.fetch_add(1, Ordering::SeqCst);
        }
        ROUNDS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_share_a_schedule_and_run_each_round_once() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (sqlite(&dir).await, sqlite(&dir).await);
    let every = Duration::from_secs(1);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(Runner::new(context(one.clone()).await).every(Round {}, every).run(stopped.clone()));
    let b = tokio::spawn(Runner::new(context(two).await).every(Round {}, every).run(stopped));
    tokio::time::sleep(Duration::from_millis(4500)).await;
    stop.send(true).unwrap();
    let _ = tokio::join!(a, b);
    let rounds = ROUNDS.load(Ordering::SeqCst);
    assert_eq!(OVERLAPS.load(Ordering::SeqCst), 0, "two rounds ran at once");
    // Rounds start about 1.2 s apart (a round takes 0.2 s): 4, maybe 3 on a busy machine; 8 if both ran them.
    assert!((3..=4).contains(&rounds), "{rounds} rounds in 4.5 s");
    let live: Vec<_> = one.live_jobs().await.unwrap().into_iter().filter(|j| j.kind == "test_round").collect();
    assert_eq!(live.len(), 1, "the next round is queued, once: {live:?}");
}

#[derive(Serialize, Deserialize)]
struct Slow {}

#[async_trait::async_trait]
impl BackgroundJob for Slow {
    const KIND: &'static str = "test_slow";
    async fn run(&self, _: &Context, job: &RunningJob) -> Result<(), JobError> {
        job.progress(1, 10).await?;
        tokio::time::sleep(Duration::from_secs(600)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_stopping_runner_hands_its_running_job_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let id = jobs::enqueue(&store, &Slow {}).await.unwrap().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(Runner::new(context(store.clone()).await).register::<Slow>().run(stopped));
    for _ in 0..100 {
        if store.job(id).await.unwrap().unwrap().progress_done == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.job(id).await.unwrap().unwrap().state, JobState::Running);
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), runner).await.expect("the runner stops at once").unwrap();
    let back = store.job(id).await.unwrap().unwrap();
    assert_eq!((back.state, back.attempts, back.progress_done), (JobState::Queued, 0, 0), "{back:?}");
}

static HOGS_RUNNING: AtomicUsize = AtomicUsize::new(0);
static RELEASED: AtomicBool = AtomicBool::new(false);

/// Long background work (a watch round, a sync) that only ends once an urgent job has run.
#[derive(Serialize, Deserialize)]
struct Hog {}

#[async_trait::async_trait]
impl BackgroundJob for Hog {
    const KIND: &'static str = "test_hog";
    async fn run(&self, _: &Context, _: &RunningJob) -> Result<(), JobError> {
        HOGS_RUNNING.fetch_add(1, Ordering::SeqCst);
        while !RELEASED.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// A delivery, say: someone waits for it.
#[derive(Serialize, Deserialize)]
struct Urgent {}

#[async_trait::async_trait]
impl BackgroundJob for Urgent {
    const KIND: &'static str = "test_urgent";
    const LANE: Lane = Lane::Prompt;
    async fn run(&self, _: &Context, _: &RunningJob) -> Result<(), JobError> {
        RELEASED.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_jobs_filling_their_loops_do_not_hold_back_a_prompt_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let hogs: Vec<i64> = futures_util::future::join_all(
        (0..Lane::Background.loops() + 1).map(|_| jobs::enqueue(&store, &Hog {})),
    )
    .await
    .into_iter()
    .map(|queued| queued.unwrap().unwrap())
    .collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = Runner::new(context(store.clone()).await).register::<Hog>().register::<Urgent>();
    let running = tokio::spawn(runner.run(stopped));
    // Every background loop is busy with a hog (which ends only after the urgent job ran)...
    let guard = std::time::Instant::now() + Duration::from_secs(60);
    while HOGS_RUNNING.load(Ordering::SeqCst) < Lane::Background.loops() {
        assert!(std::time::Instant::now() < guard, "the hogs were not claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...and the urgent job still runs: with one pool of loops for all kinds it never would, and
    // this would end at the guard below (it is a deadlock guard, not a speed bar).
    let urgent = jobs::enqueue(&store, &Urgent {}).await.unwrap().unwrap();
    for id in hogs.iter().chain([&urgent]) {
        while store.job(*id).await.unwrap().unwrap().state != JobState::Done {
            assert!(std::time::Instant::now() < guard, "the urgent job waited for the hogs");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    stop.send(true).unwrap();
    running.await.unwrap();
}
