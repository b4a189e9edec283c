//! Badges over HTTP against a real registry and a real store: every kind and style as valid SVG
//! with the tag page's wording, the endpoint JSON, caching headers, "inspecting" and "not found",
//! long labels, and private repositories with their badge token.

mod common;

use std::time::Duration;

use app::format::human_size;
use common::{Running, serve};
use shipshape::config::DatabaseUrl;
use shipshape::inspect::Viewer;
use shipshape::registry::Credentials;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

struct Badge {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Badge {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// The SVG parsed as XML: (width, accessible name, texts drawn, rect widths, textLengths).
    fn svg(&self) -> Svg {
        let doc = roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("not XML ({e}): {}", self.body));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let number = |n: roxmltree::Node, a: &str| n.attribute(a).map(|v| v.parse::<f64>().unwrap());
        let title = root.descendants().find(|n| n.has_tag_name("title")).and_then(|n| n.text()).unwrap().to_string();
        assert_eq!(root.attribute("aria-label"), Some(title.as_str()), "aria-label and <title> agree");
        let texts: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("aria-hidden").is_none())
            .map(|n| (n.text().unwrap_or("").to_string(), number(n, "x").unwrap(), number(n, "textLength").unwrap()))
            .collect();
        let rects: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("fill").is_some_and(|f| f.starts_with('#')))
            .filter(|n| !n.ancestors().any(|a| a.has_tag_name("clipPath")))
            .map(|n| {
                (number(n, "x").unwrap_or(0.0), number(n, "width").unwrap(), n.attribute("fill").unwrap().to_string())
            })
            .collect();
        let link = root.descendants().find(|n| n.has_tag_name("a")).and_then(|n| n.attribute("href")).map(String::from);
        Svg { width: number(root, "width").unwrap(), title, texts, rects, link }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

#[derive(Debug)]
struct Svg {
    width: f64,
    title: String,
    /// (text, centre x, textLength) of each visible text: label, then message.
    texts: Vec<(String, f64, f64)>,
    /// (x, width, fill) of the label and message boxes.
    rects: Vec<(f64, f64, String)>,
    link: Option<String>,
}

async fn badge(server: &Running, path: &str, if_none_match: Option<&str>) -> Badge {
    let mut request = reqwest::Client::new().get(format!("{}/badges/{path}", server.base));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    Badge {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// Asks until the badge stops saying "inspecting" (the inspection runs in the background).
async fn settled(server: &Running, path: &str) -> Badge {
    for _ in 0..150 {
        let answer = badge(server, path, None).await;
        if !answer.body.contains("inspecting") {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} still inspecting after 15 s");
}

async fn json_of(server: &Running, path: &str) -> serde_json::Value {
    badge(server, path, None).await.json()
}

async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn badges_tell_stored_facts(store: SharedStore) {
    let public = TestRegistry::anonymous().await.unwrap();
    let private = TestRegistry::basic("alice", "s3cret").await.unwrap();
    let server = serve(store, &format!("{},{}", public.host(), private.host())).await;
    let host = public.host();
    push_base_app_and_plain(&public).await;
    visit_and_scan(&server, &host).await;
    every_kind_says_what_the_tag_page_says(&server, &host).await;
    unlabelled_images_read_their_tags(&server, &host).await;
    etags_answer_304(&server, &host).await;
    labels_grow_the_badge_and_are_escaped(&server, &host).await;
    inspecting_then_the_badge_or_not_found(&server, &public).await;
    private_badges_need_the_token(&server, &private).await;
}

/// `badge/base:3.20`; `badge/app` (1.4.2 and latest) on it, labelled, built 400 days ago;
/// `badge/plain` without labels, tagged 2, 2.1, 2.1.7 and latest, running as 1000.
async fn push_base_app_and_plain(public: &TestRegistry) {
    let os = Layer::builder().file("etc/os-release", "ID=test").build().unwrap();
    let base = ImageBuilder::new().layer(os.clone(), "ADD rootfs.tar /").build(ManifestFormat::Oci);
    base.push(public, "badge/base", Some("3.20")).await.unwrap();
    // Built 400 days ago (and half a day, so the age cannot tick over between two requests).
    let built = (chrono::Utc::now() - chrono::Duration::hours(400 * 24 + 12)).to_rfc3339();
    let app_layer = Layer::builder().file("srv/app", "binary").build().unwrap();
    let app = ImageBuilder::new()
        .layer(os, "ADD rootfs.tar /")
        .layer(app_layer, "COPY app /srv/ # buildkit")
        .created(&built)
        .label("org.opencontainers.image.version", "1.4.2")
        .label("org.opencontainers.image.revision", REVISION)
        .label("org.opencontainers.image.source", "https://github.com/o/app")
        .label("org.opencontainers.image.licenses", "MIT")
        .build(ManifestFormat::Docker);
    for tag in ["1.4.2", "latest"] {
        app.push(public, "badge/app", Some(tag)).await.unwrap();
    }
    let unlabelled = ImageBuilder::new()
        .layer(Layer::builder().file("x", "y").build().unwrap(), "COPY x / # buildkit")
        .user("1000:1000")
        .build(ManifestFormat::Oci);
    for tag in ["2", "2.1", "2.1.7", "latest"] {
        unlabelled.push(public, "badge/plain", Some(tag)).await.unwrap();
    }
}

/// Each image inspected the way visitors do, so the facts are stored, and the app scanned.
async fn visit_and_scan(server: &Running, host: &str) {
    for reference in
        ["badge/base:3.20", "badge/app:1.4.2", "badge/app:latest", "badge/plain:2.1.7", "badge/plain:latest"]
    {
        let report = get_json(&format!("{}/api/v1/images/{host}/{reference}", server.base)).await;
        assert!(report["digest"].is_string(), "{report}");
    }
    // Scanned in the background as a visitor's first view queues it. No advisories are imported,
    // so the badge says the findings were not checked rather than "none".
    let queued = get_json(&format!("{}/api/v1/scans/{host}/badge/app:1.4.2", server.base)).await;
    assert_eq!(queued["state"], "queued", "{queued}");
    let scanning = badge(server, &format!("vulnerabilities/{host}/badge/app:1.4.2.json"), None).await;
    assert_eq!(
        (scanning.json()["message"].as_str(), scanning.header("cache-control")),
        (Some("scanning"), "no-cache, max-age=0")
    );
    server.jobs.drain().await.unwrap();
}

/// Every kind: the SVG is XML with the expected texts and colour, the JSON twin agrees, and the
/// tag page says the same.
async fn every_kind_says_what_the_tag_page_says(server: &Running, host: &str) {
    let report = get_json(&format!("{}/api/v1/images/{host}/badge/app:1.4.2", server.base)).await;
    let image = &report["platforms"][0];
    let size = human_size(image["size"].as_u64().unwrap());
    let page =
        reqwest::get(format!("{}/images/{host}/badge/app:1.4.2", server.base)).await.unwrap().text().await.unwrap();
    let expected = [
        ("image", format!("{size} | 2 layers"), "#007ec6"),
        ("version", "1.4.2".to_string(), "#007ec6"),
        ("commit", REVISION[..12].to_string(), "#007ec6"),
        ("license", "MIT".to_string(), "#007ec6"),
        ("vulnerabilities", "not checked".to_string(), "#9f9f9f"),
        ("user", "root".to_string(), "#e05d44"),
        ("base", format!("{host}/badge/base:3.20"), "#007ec6"),
        ("updated", "1 year ago".to_string(), "#fe7d37"),
    ];
    for (kind, message, colour) in &expected {
        let path = format!("{kind}/{host}/badge/app:1.4.2");
        let answer = badge(server, &format!("{path}.svg"), None).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        assert!(answer.header("content-type").starts_with("image/svg+xml"), "{kind}");
        assert_eq!(answer.header("cache-control"), "max-age=300");
        let svg = answer.svg();
        assert_eq!(svg.title, format!("{kind}: {message}"), "{kind}");
        assert_eq!((svg.texts[0].0.as_str(), svg.texts[1].0.as_str()), (*kind, message.as_str()));
        assert_eq!(svg.rects[1].2, *colour, "{kind}");
        assert_eq!(svg.width, svg.rects[0].1 + svg.rects[1].1, "{kind}: the boxes fill the badge");
        for part in message.split(" | ") {
            assert!(page.contains(part), "{kind}: the tag page does not say {part:?}");
        }
        let json = badge(server, &format!("{path}.json"), None).await.json();
        assert_eq!(
            (json["schemaVersion"].as_u64(), json["label"].as_str(), json["message"].as_str()),
            (Some(1), Some(*kind), Some(message.as_str()))
        );
        for style in ["flat-square", "for-the-badge"] {
            let styled = badge(server, &format!("{path}.svg?style={style}"), None).await.svg();
            assert!(styled.texts.iter().any(|(t, _, _)| t.eq_ignore_ascii_case(message)), "{kind} {style}: {styled:?}");
        }
    }
    let commit = badge(server, &format!("commit/{host}/badge/app:1.4.2.svg"), None).await.svg();
    assert_eq!(commit.link.as_deref(), Some(format!("https://github.com/o/app/commit/{REVISION}").as_str()));
}

/// Without a version label: the tag when it reads like a version, else the most specific
/// version tag on the same digest; a non-root user in green.
async fn unlabelled_images_read_their_tags(server: &Running, host: &str) {
    assert_eq!(json_of(server, &format!("version/{host}/badge/plain:2.1.7.json")).await["message"], "2.1.7");
    assert_eq!(json_of(server, &format!("version/{host}/badge/plain:latest.json")).await["message"], "2.1.7");
    let user = json_of(server, &format!("user/{host}/badge/plain:latest.json")).await;
    assert_eq!((user["message"].as_str(), user["color"].as_str()), (Some("1000:1000"), Some("brightgreen")));
    let page =
        reqwest::get(format!("{}/images/{host}/badge/plain:latest", server.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("2.1.7") && page.contains(r#"data-testid="badge-builder""#), "{page}");
}

/// Conditional requests: the ETag answers 304 (weak comparison too), another tag 200.
async fn etags_answer_304(server: &Running, host: &str) {
    let first = badge(server, &format!("image/{host}/badge/app:1.4.2.svg"), None).await;
    let etag = first.header("etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}")] {
        let again = badge(server, &format!("image/{host}/badge/app:1.4.2.svg"), Some(&tag)).await;
        assert_eq!((again.status, again.body.as_str()), (304, ""), "{tag}");
        assert_eq!(again.header("etag"), etag);
    }
    assert_eq!(badge(server, &format!("image/{host}/badge/app:1.4.2.svg"), Some("\"other\"")).await.status, 200);
}

async fn labels_grow_the_badge_and_are_escaped(server: &Running, host: &str) {
    // A label of 60 wide characters: the badge grows with it, nothing is cut.
    for wide in ["W".repeat(60), "漢".repeat(60)] {
        let answer = badge(server, &format!("image/{host}/badge/app:1.4.2.svg?label={wide}"), None).await;
        let svg = answer.svg();
        let (label, centre, length) = &svg.texts[0];
        assert_eq!(label, &wide);
        assert!(*length >= 60.0 * 10.0, "60 wide characters measure {length} px");
        assert!(svg.rects[0].1 >= length + 12.0, "the label box ({}) holds its text ({length})", svg.rects[0].1);
        assert!((centre - svg.rects[0].1 / 2.0).abs() < 1.0);
        assert!(svg.width >= svg.rects[0].1 + svg.texts[1].2);
    }
    // Any label text is escaped.
    let hostile = badge(server, &format!("user/{host}/badge/app:1.4.2.svg?label=%3Cscript%3E%26%22"), None).await;
    assert_eq!(hostile.svg().texts[0].0, "<script>&\"");
    assert!(!hostile.body.contains("<script>"));
}

/// Not stored yet: "inspecting" (not to be cached), then the real badge; an unknown tag ends as
/// "not found", still a badge (200) so READMEs show no broken image.
async fn inspecting_then_the_badge_or_not_found(server: &Running, public: &TestRegistry) {
    let host = public.host();
    let newer = ImageBuilder::new()
        .layer(Layer::builder().file("new", "new").build().unwrap(), "COPY new / # buildkit")
        .build(ManifestFormat::Docker);
    newer.push(public, "badge/app", Some("1.5.0")).await.unwrap();
    let first = badge(server, &format!("image/{host}/badge/app:1.5.0.svg"), None).await;
    assert_eq!(first.svg().texts[1].0, "inspecting");
    assert_eq!(first.header("cache-control"), "no-cache, max-age=0");
    let done = settled(server, &format!("image/{host}/badge/app:1.5.0.svg")).await;
    assert_eq!(done.svg().texts[1].0, format!("{} | 1 layer", human_size(newer.layers[0].blob.len() as u64)));
    for path in
        [format!("version/{host}/badge/app:9.9"), format!("version/{host}/badge/none:1"), "version/Bad Ref".into()]
    {
        let gone = settled(server, &format!("{path}.svg")).await;
        assert_eq!((gone.status, gone.svg().texts[1].0.as_str()), (200, "not found"), "{path}");
        let json = badge(server, &format!("{path}.json"), None).await.json();
        assert_eq!((json["message"].as_str(), json["isError"].as_bool()), (Some("not found"), Some(true)));
    }
    let wrong = badge(server, "size/alpine.svg", None).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("unknown badge kind"), "{}", wrong.body);
}

/// Private: inspected with credentials at the CLI; its badges need the badge token.
async fn private_badges_need_the_token(server: &Running, private: &TestRegistry) {
    let secret = ImageBuilder::new()
        .layer(Layer::builder().file("s", "s").build().unwrap(), "COPY s / # buildkit")
        .user("app")
        .build(ManifestFormat::Oci);
    secret.push(private, "team/secret", Some("1")).await.unwrap();
    let secret_ref = app::reference::ImageReference::parse(&format!("{}/team/secret:1", private.host())).unwrap();
    let creds = Some(Credentials::new("alice", "s3cret"));
    let inspected = server.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&secret_ref, Viewer::Operator).credentials(creds)).await.unwrap();
    assert!(inspected.private);
    let path = format!("user/{}/team/secret:1.json", private.host());
    // Without its token a private repository answers as an unknown one: "inspecting", then "not found".
    assert_eq!(badge(server, &path, None).await.json()["message"], "inspecting", "no token yet");
    assert_eq!(settled(server, &path).await.json()["message"], "not found", "no token yet");
    let repository = format!("{}/team/secret", private.host());
    let issued = shipshape::cli::badge_token::run(&server.services.store, &repository, false).await.unwrap();
    assert!(issued.created && issued.private);
    assert_eq!(
        shipshape::cli::badge_token::run(&server.services.store, &repository, false).await.unwrap().token,
        issued.token
    );
    assert_eq!(badge(server, &format!("{path}?token=wrong"), None).await.json()["message"], "not found");
    assert_eq!(badge(server, &format!("{path}?token={}", issued.token), None).await.json()["message"], "app");
    let rotated = shipshape::cli::badge_token::run(&server.services.store, &repository, true).await.unwrap();
    assert_ne!(rotated.token, issued.token);
    // Another spelling of the old URL, so the brief in-memory cache cannot answer it.
    let old = badge(server, &format!("{path}?style=flat&token={}", issued.token), None).await.json();
    assert_eq!(old["message"], "not found", "a rotated token no longer works");
    assert_eq!(badge(server, &format!("{path}?token={}", rotated.token), None).await.json()["message"], "app");
    assert!(
        shipshape::cli::badge_token::run(&server.services.store, &format!("{}/team/unknown", private.host()), false)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badges_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    badges_tell_stored_facts(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badges_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    badges_tell_stored_facts(store).await;
    db.drop_database().await.unwrap();
}
