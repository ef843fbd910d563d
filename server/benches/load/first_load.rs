//! The marketplace's first load: the page and every file it makes a browser fetch before it
//! is interactive (stylesheet, scripts, the WASM bundle, the icon), with an empty cache,
//! asking for brotli or gzip as browsers do. The total is of the bodies as sent (compressed),
//! without HTTP headers.

use std::io::Read;
use std::path::{Path, PathBuf};

use reqwest::header::{HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, COOKIE};
use reqwest::Client;

/// The built site the server serves when the first load is measured: `LEPTOS_SITE_ROOT`
/// (relative to the workspace) or `target/site`, once `make build` has finished it (its
/// `hash.txt`).
pub fn built_site() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = std::env::var_os("LEPTOS_SITE_ROOT")
        .map(|root| workspace.join(root))
        .unwrap_or_else(|| workspace.join("target/site"));
    let root = root.canonicalize().ok()?;
    root.join("hash.txt").is_file().then_some(root)
}

/// One file of the load and the bytes its body took.
pub struct Fetched {
    pub path: String,
    pub status: u16,
    pub encoding: String,
    pub bytes: u64,
}

pub struct FirstLoad {
    pub files: Vec<Fetched>,
}

impl FirstLoad {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Loads `/marketplace` from `address` with `cookie` (a signed-in member), then what it
/// references, then what those reference (a stylesheet's `url()`, a script's snippets).
pub async fn measure(address: &str, cookie: &HeaderValue) -> FirstLoad {
    let client = Client::builder()
        .timeout(crate::scenario::REQUEST_TIMEOUT)
        .build()
        .expect("a client");
    let mut paths = vec!["/marketplace".to_owned()];
    let mut files = Vec::new();
    let mut next = 0;
    while let Some(path) = paths.get(next).cloned() {
        next += 1;
        let response = client
            .get(format!("{address}{path}"))
            .header(ACCEPT_ENCODING, "br, gzip")
            .header(COOKIE, cookie.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} of the first load answers: {e}"));
        let status = response.status().as_u16();
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response.bytes().await.expect("the body is read");
        let text = decoded(&body, &encoding);
        for found in references(&path, &text) {
            if !paths.contains(&found) {
                paths.push(found);
            }
        }
        files.push(Fetched {
            path,
            status,
            encoding,
            bytes: body.len() as u64,
        });
    }
    FirstLoad { files }
}

/// A body as text, decoded from `encoding`; binary files come out as nonsense, which no
/// reference matches.
fn decoded(body: &[u8], encoding: &str) -> String {
    let mut plain = Vec::new();
    let read = match encoding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut plain),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut plain),
        _ => {
            plain = body.to_vec();
            Ok(plain.len())
        }
    };
    match read {
        Ok(_) => String::from_utf8_lossy(&plain).into_owned(),
        Err(_) => String::new(),
    }
}

/// The site's own files that `text` (the body of `path`) makes a browser load.
fn references(path: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    if path.ends_with(".css") {
        for part in text.split("url(").skip(1) {
            let target = part.split(')').next().unwrap_or("");
            found.push(target.trim().trim_matches(['"', '\'']).to_owned());
        }
    } else if path.ends_with(".js") {
        // wasm-bindgen's imports of its snippets: `from './snippets/…'`.
        let quoted = text.split(['"', '\'']);
        found.extend(
            quoted
                .filter(|s| s.starts_with("./snippets/"))
                .map(str::to_owned),
        );
    } else if !path.contains('.') {
        found.extend(page_references(text));
    }
    found
        .into_iter()
        .filter_map(|target| resolved(path, &target))
        .collect()
}

/// A page's stylesheets, preloads, icons and scripts, and the bundle files its inline
/// hydration script imports (`import('/pkg/…')`, the WASM's `module_or_path`).
fn page_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let name = tag.split([' ', '\n', '\t', '/']).next().unwrap_or("");
        let wanted = match name.to_ascii_lowercase().as_str() {
            "link" if loads_with_page(attribute(tag, "rel").unwrap_or("")) => "href",
            "script" | "img" => "src",
            _ => continue,
        };
        found.extend(attribute(tag, wanted).map(str::to_owned));
    }
    let quoted = html.split(['"', '\'']);
    found.extend(quoted.filter(|s| s.starts_with("/pkg/")).map(str::to_owned));
    found
}

/// Whether a `<link rel="…">` makes the browser fetch its target with the page.
fn loads_with_page(rel: &str) -> bool {
    rel.split_whitespace().any(|rel| {
        ["stylesheet", "preload", "modulepreload", "icon", "manifest"]
            .contains(&rel.to_ascii_lowercase().as_str())
    })
}

/// The value of `name="…"` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let length = tag[start..].find('"')?;
    Some(&tag[start..start + length])
}

/// `target` as a path of this site, relative to the file `from`; `None` for another site.
fn resolved(from: &str, target: &str) -> Option<String> {
    let target = target.split(['#', '?']).next().unwrap_or("");
    if target.is_empty() || target.starts_with("//") || target.contains(':') {
        return None;
    }
    if target.starts_with('/') {
        return Some(target.to_owned());
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}
