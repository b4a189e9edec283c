//! A registry that fails the ways real ones do (a `FaultProxy` in front of a real registry):
//! each failure reaches the operator, the API and the CLI as a clear error of its kind, in
//! bounded time, leaves nothing half-written in the store, and the same inspection succeeds once
//! the registry is healthy again.

#[path = "faults/setup.rs"]
mod setup;

use std::time::Duration;

use setup::{Faulty, GUARD};
use shipshape::inspect::InspectError;
use shipshape::registry::RegistryError;
use shipshape::scan::limits::ScanLimits;
use shipshape::scan::run::ScanError;
use shipshape_testkit::{Endpoint, Fault, Layer, Rule};

fn small_layer() -> Layer {
    Layer::builder().file("hello", "world").build().unwrap()
}

fn registry_error(err: &InspectError) -> Option<&RegistryError> {
    match err {
        InspectError::Registry(e) => Some(e),
        _ => None,
    }
}

fn manifests(fault: Fault) -> Rule {
    Rule::new(fault).repository("faults/").on(Endpoint::Manifests)
}

#[tokio::test]
async fn a_5xx_is_an_upstream_failure_without_the_registrys_text() {
    for status in [503, 500] {
        let faulty = Faulty::start(small_layer()).await;
        let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::Status { status: s, .. }) if *s == status);
        let cli_says = format!("answered HTTP {status}");
        faulty.fails_clearly(manifests(Fault::Status(status)), expect, (502, "registry_error"), &cli_says).await;
    }
}

#[tokio::test]
async fn silence_is_a_timeout() {
    let faulty = Faulty::start(small_layer()).await;
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::Timeout { .. }));
    faulty.fails_clearly(manifests(Fault::Hang), expect, (504, "registry_timeout"), "did not answer within 2 s").await;
}

#[tokio::test]
async fn rate_limiting_says_when_to_retry() {
    let faulty = Faulty::start(small_layer()).await;
    let rule = manifests(Fault::RateLimited { retry_after: 7 });
    let expect =
        |e: &InspectError| matches!(registry_error(e), Some(RegistryError::RateLimited { retry_after: Some(7), .. }));
    faulty.proxy.set_rules(vec![rule.clone()]);
    let response = reqwest::get(format!("{}/api/v1/images/{}", faulty.base, faulty.reference)).await.unwrap();
    assert_eq!(response.headers().get("retry-after").map(|v| v.as_bytes()), Some(&b"7"[..]), "the wait is passed on");
    let body = response.text().await.unwrap();
    assert!(body.contains("retry after 7 s"), "{body}");

    faulty.fails_clearly(rule, expect, (503, "registry_rate_limited"), "retry after 7 s").await;
}

#[tokio::test]
async fn a_manifest_cut_short_fails_and_is_not_stored() {
    let faulty = Faulty::start(small_layer()).await;
    let rule = manifests(Fault::Truncate { after_bytes: 40 });
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::Protocol { .. }));
    faulty.fails_clearly(rule, expect, (502, "registry_error"), "its answer broke off").await;
}

#[tokio::test]
async fn a_manifest_that_is_not_what_its_digest_says_is_refused() {
    let faulty = Faulty::start(small_layer()).await;
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::DigestMismatch { .. }));
    faulty
        .fails_clearly(manifests(Fault::WrongBytes), expect, (502, "registry_error"), "does not match its digest")
        .await;
}

/// The config is fetched alongside the repository row: a config that fails must not
/// leave the tag naming an image that could not be read.
#[tokio::test]
async fn a_config_that_is_not_what_its_digest_says_leaves_no_tag() {
    let faulty = Faulty::start(small_layer()).await;
    let rule = Rule::new(Fault::WrongBytes).repository("faults/").on(Endpoint::Blobs);
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::DigestMismatch { .. }));
    faulty.fails_clearly(rule, expect, (502, "registry_error"), "does not match its digest").await;
}

#[tokio::test]
async fn a_config_cut_short_leaves_no_tag() {
    let faulty = Faulty::start(small_layer()).await;
    let rule = Rule::new(Fault::Truncate { after_bytes: 20 }).repository("faults/").on(Endpoint::Blobs);
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::Protocol { .. }));
    faulty.fails_clearly(rule, expect, (502, "registry_error"), "its answer broke off").await;
}

/// Each byte comes well within the registry timeout, so only a deadline for the whole answer ends it.
#[tokio::test]
async fn a_dripping_manifest_times_out() {
    let faulty = Faulty::start(small_layer()).await;
    let rule = manifests(Fault::Trickle { chunk: 1, every: Duration::from_millis(500) });
    let expect = |e: &InspectError| matches!(registry_error(e), Some(RegistryError::Timeout { .. }));
    faulty.fails_clearly(rule, expect, (504, "registry_timeout"), "did not answer within").await;
}

#[tokio::test]
async fn a_redirect_loop_is_named() {
    let faulty = Faulty::start(small_layer()).await;
    let expect = |e: &InspectError| {
        e.to_string().contains("redirect")
            && matches!(registry_error(e), Some(RegistryError::Protocol { .. } | RegistryError::Unreachable { .. }))
    };
    faulty.fails_clearly(manifests(Fault::RedirectLoop), expect, (502, "registry_error"), "redirect").await;
}

/// A layer dripping in a few bytes at a time, each within the registry timeout: the scan's own
/// deadline ends it.
#[tokio::test]
async fn a_dripping_layer_ends_the_scan_at_its_deadline() {
    // Incompressible, so the gzip blob takes long to drip.
    let noise: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let faulty = Faulty::start(Layer::builder().file("srv/noise", noise).build().unwrap()).await;
    faulty.inspect().await.expect("inspected while healthy");

    let layer = faulty.image.layers[0].digest.clone();
    faulty.proxy.set_rules(vec![
        Rule::new(Fault::Trickle { chunk: 16, every: Duration::from_millis(300) })
            .repository("faults/")
            .on(Endpoint::Blobs),
    ]);
    let limits = ScanLimits { deadline: Duration::from_secs(5), ..Default::default() };
    let reference = faulty.parsed();
    let inspector = &faulty.services.inspector;
    let scanning =
        shipshape::scan::run::scan(inspector, &faulty.services.store, &reference, None, None, &limits, &|_| {});
    let err = tokio::time::timeout(GUARD, scanning).await.expect("the scan ends in bounded time").unwrap_err();
    assert!(matches!(err, ScanError::Deadline(d) if d == Duration::from_secs(5)), "{err}");
    assert!(err.to_string().contains("SHIPSHAPE_SCAN_TIMEOUT"), "{err}");
    assert!(faulty.proxy.faulted() > 0, "layer {layer} was dripped");
}
