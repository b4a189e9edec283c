//! A hostile index (issue 14, item 4): 2,000 entries pushed to Debian's docker-registry. Inspection
//! reads at most `MAX_INDEX_PLATFORMS` of them, a few at a time, lists the rest as not fetched, and
//! still reads the platform the pages choose by default, wherever it sits in the index. The process
//! stays under 300 open file descriptors throughout, counted from `/proc/self/fd` while it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use app::reference::ImageReference;
use shipshape::config::{Config, DatabaseUrl};
use shipshape::inspect::{InspectRequest, MAX_INDEX_PLATFORMS, Viewer};
use shipshape::services::Services;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

const ENTRIES: usize = 2_000;
/// Where the index hides linux/amd64, the platform chosen when nobody asks: past the cap.
const AMD64_AT: usize = 1_500;
const FD_BAR: usize = 300;

/// The fd count is the whole process's: the two backends' tests must not run side by side.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Samples the process's open descriptors on a plain thread, so a busy runtime cannot hide a peak.
struct FdWatch {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<()>,
}

impl FdWatch {
    fn start() -> Self {
        let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(open_fds())));
        let (stopped, highest) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                highest.fetch_max(open_fds(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        Self { stop, peak, thread }
    }

    fn peak(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
        self.peak.load(Ordering::Relaxed).max(open_fds())
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |entries| entries.count())
}

/// Eight real images, and an index of 2,000 entries over them, each entry a platform of its own.
fn hostile_index() -> BuiltIndex {
    let format = ManifestFormat::Oci;
    let images: Vec<BuiltImage> = (0..8)
        .map(|i| {
            let layer = Layer::builder().file("etc/os-release", format!("ID=hostile\nN={i}\n")).build().unwrap();
            ImageBuilder::new()
                .platform("linux", &format!("arch{i}"), None)
                .layer(layer, "ADD os-release /")
                .build(format)
        })
        .collect();
    let entries: Vec<serde_json::Value> = (0..ENTRIES)
        .map(|i| {
            let image = &images[i % images.len()];
            let architecture = if i == AMD64_AT { "amd64".to_string() } else { format!("arch{i}") };
            serde_json::json!({
                "mediaType": format.manifest_media_type(),
                "digest": image.manifest_digest,
                "size": image.manifest.len(),
                "platform": {"os": "linux", "architecture": architecture},
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": format.index_media_type(),
        "manifests": entries,
    }))
    .unwrap();
    BuiltIndex { format, digest: shipshape_testkit::sha256_digest(&manifest), manifest, images }
}

async fn two_thousand_entries_stay_bounded(store: SharedStore) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let registry = TestRegistry::anonymous().await.unwrap();
    hostile_index().push(&registry, "hostile/index", "wide").await.unwrap();
    let config = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), registry.host())]).unwrap();
    let services = Services::new(store, &config);
    let reference = ImageReference::parse(&format!("{}/hostile/index:wide", registry.host())).unwrap();

    let watch = FdWatch::start();
    let report = services.inspector.inspect(InspectRequest::new(&reference, Viewer::Operator)).await.unwrap();
    let peak = watch.peak();

    assert!(peak < FD_BAR, "{peak} file descriptors were open at once while inspecting a {ENTRIES}-entry index");
    assert_eq!(report.platforms.len(), MAX_INDEX_PLATFORMS);
    assert_eq!(report.platforms_not_fetched, (ENTRIES - MAX_INDEX_PLATFORMS) as u64);
    let chosen = app::platform_choice::chosen(&report.platforms, None).unwrap();
    assert_eq!(report.platforms[chosen].platform.to_string(), "linux/amd64", "the default platform was read");
    let arch0 = report.platforms.iter().position(|p| p.platform.architecture == "arch0");
    assert!(arch0.is_some(), "the index's first entries were read: {arch0:?}");

    // What badges serve from the store alone is the same bounded read, not "not inspected yet".
    let stored = services.inspector.stored(&reference, Viewer::Operator).await.unwrap();
    assert_eq!(stored.platforms.len(), MAX_INDEX_PLATFORMS);
    assert_eq!(stored.platforms_not_fetched, report.platforms_not_fetched);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_index_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap();
    two_thousand_entries_stay_bounded(store::open(&url).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_index_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    two_thousand_entries_stay_bounded(store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap()).await;
    db.drop_database().await.unwrap();
}
