//! The site as `deploy/site_assets.py` finishes it: pages load the bundle by content-hashed
//! names, which browsers may keep for a year (`immutable`), while pages and plainly named files
//! are revalidated; the precompressed files are sent as they are.

use std::path::{Path, PathBuf};
use std::process::Command;

use abetworks::on_every_database;
use abetworks::testing::TestDatabase;

use crate::common::{script_client, spawn_app_serving_site, TestApp};

/// A site with a bundle of the given contents, finished by the real build step.
fn finished_site(name: &str) -> PathBuf {
    let site = std::env::temp_dir().join(format!("abetworks-assets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(site.join("pkg")).expect("the site folder is made");
    // Large and repetitive enough to be worth compressing.
    let filler = "let answer = 42; // the bundle of a test site\n".repeat(200);
    for (file, body) in [
        (
            "abetworks.js",
            format!("export default function init() {{}}\n{filler}"),
        ),
        ("abetworks.wasm", format!("\0asm{filler}")),
        (
            "abetworks.css",
            format!("body {{ color: black; }}\n{filler}"),
        ),
    ] {
        std::fs::write(site.join("pkg").join(file), body).expect("a bundle file is written");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/site_assets.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&site)
        .status()
        .expect("python3 runs the site step");
    assert!(status.success(), "deploy/site_assets.py finishes the site");
    site
}

/// `js: <hash>` lines of the site's `hash.txt`.
fn hash_of(site: &Path, kind: &str) -> String {
    let hashes = std::fs::read_to_string(site.join("hash.txt")).expect("hash.txt is written");
    hashes
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{kind}: ")))
        .unwrap_or_else(|| panic!("hash.txt names the {kind} file"))
        .to_owned()
}

async fn get(app: &TestApp, path: &str, encoding: Option<&str>) -> reqwest::Response {
    let mut request = script_client().get(app.url(path));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.expect("the server answers");
    assert_eq!(response.status(), 200, "{path} is served");
    response
}

fn cache_control(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn pages_load_the_bundle_by_content_hashed_names_kept_for_a_year_and_revalidate_the_rest(
    database: TestDatabase,
) {
    let site = finished_site("names");
    let app = spawn_app_serving_site(database, &site).await;
    let (js, wasm, css) = (
        hash_of(&site, "js"),
        hash_of(&site, "wasm"),
        hash_of(&site, "css"),
    );

    let page = get(&app, "/marketplace", None).await;
    assert_eq!(cache_control(&page), "no-cache", "a page is revalidated");
    let html = page.text().await.expect("the page is read");
    for name in [
        format!("/pkg/abetworks.{js}.js"),
        format!("/pkg/abetworks.{wasm}.wasm"),
        format!("/pkg/abetworks.{css}.css"),
    ] {
        assert!(html.contains(&name), "the page loads {name}");
    }
    assert!(
        !html.contains("/pkg/abetworks.css"),
        "not the plain stylesheet name"
    );

    for name in [
        format!("/pkg/abetworks.{js}.js"),
        format!("/pkg/abetworks.{wasm}.wasm"),
        format!("/pkg/abetworks.{css}.css"),
    ] {
        let file = get(&app, &name, None).await;
        assert_eq!(
            cache_control(&file),
            "public, max-age=31536000, immutable",
            "{name} never changes under its name"
        );
    }
    let plain = get(&app, "/pkg/abetworks.css", None).await;
    assert_eq!(cache_control(&plain), "no-cache", "a plain name may change");
}
on_every_database!(
    pages_load_the_bundle_by_content_hashed_names_kept_for_a_year_and_revalidate_the_rest
);

async fn the_bundle_is_sent_precompressed_as_built_not_compressed_again_per_request(
    database: TestDatabase,
) {
    let site = finished_site("precompressed");
    let app = spawn_app_serving_site(database, &site).await;
    let wasm = format!("abetworks.{}.wasm", hash_of(&site, "wasm"));
    let built = std::fs::read(site.join("pkg").join(format!("{wasm}.gz")))
        .expect("the build step wrote the gzip file");

    let sent = get(&app, &format!("/pkg/{wasm}"), Some("gzip")).await;
    assert_eq!(
        sent.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let body = sent.bytes().await.expect("the body is read");
    assert_eq!(
        body.as_ref(),
        built.as_slice(),
        "the very bytes the build step wrote"
    );

    let unasked = get(&app, &format!("/pkg/{wasm}"), None).await;
    assert!(unasked.headers().get("content-encoding").is_none());
    let plain = std::fs::read(site.join("pkg").join(&wasm)).expect("the hashed copy exists");
    assert_eq!(
        unasked.bytes().await.expect("read").as_ref(),
        plain.as_slice()
    );
}
on_every_database!(the_bundle_is_sent_precompressed_as_built_not_compressed_again_per_request);
