//! `shipshape index-bases`: index the known base images now, with one progress line per repository.

use super::CliError;
use crate::config::Config;
use crate::services::Services;
use crate::store;

/// Indexes every configured base repository; the summary line is the output. Fails only when
/// nothing could be indexed at all.
pub async fn run(config: &Config) -> Result<String, CliError> {
    let store = store::open_for_command(&config.database_url).await?;
    let services = Services::new(store, config);
    let bases = &config.base_images;
    eprintln!(
        "indexing {} repositories ({} newest release tags and latest; {})…",
        bases.repositories.len(),
        bases.tags_per_repository,
        bases.platforms.join(", ")
    );
    let total = bases.repositories.len();
    let done = std::cell::Cell::new(0);
    let summary = crate::worker::known_bases::index_round(&services.inspector, bases, |repository| {
        done.set(done.get() + 1);
        eprintln!("  [{}/{total}] {repository}", done.get());
    })
    .await;
    for failure in &summary.failures {
        eprintln!("  not indexed: {failure}");
    }
    if !summary.failures.is_empty() && summary.images == 0 {
        return Err(CliError::NothingIndexed(summary.failures.len()));
    }
    Ok(format!("{} platform image(s) indexed, {} failure(s)\n", summary.images, summary.failures.len()))
}
