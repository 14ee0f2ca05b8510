//! Objects read back from where readers get them: the public URL
//! (`r2filter eject --from-public-url`). A plain GET over HTTP(S) with the TLS
//! stack aws-sdk-s3 already builds, or a copy for a local store's `file://`
//! URL. No credentials, so it works where only the CDN is reachable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use percent_encoding::percent_decode_str;
use tokio::io::AsyncWriteExt;

use super::StoreError;

/// Tries per URL on a transient failure (5xx, 429, a dropped connection).
const ATTEMPTS: u32 = 5;
/// Redirects followed (a CDN may send one to its canonical host).
const REDIRECTS: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the answer, and then for each piece of the body.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Fetches public URLs; clone it freely (one connection pool).
#[derive(Clone)]
pub struct PublicUrl {
    client: Option<Http>,
}

/// Plain HTTP needs no TLS roots (a machine without CA certificates can still
/// fetch from a local server); HTTPS loads the system's.
#[derive(Clone)]
enum Http {
    Plain(Client<HttpConnector, Empty<Bytes>>),
    Tls(Client<HttpsConnector<HttpConnector>, Empty<Bytes>>),
}

impl Http {
    fn request(&self, req: hyper::Request<Empty<Bytes>>) -> ResponseFuture {
        match self {
            Http::Plain(c) => c.request(req),
            Http::Tls(c) => c.request(req),
        }
    }
}

impl std::fmt::Debug for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublicUrl")
    }
}

impl PublicUrl {
    /// A fetcher for URLs under `public_url`. The TLS roots are loaded only
    /// when they can be needed (an `https://` public URL).
    pub fn new(public_url: &str) -> Result<PublicUrl, StoreError> {
        if public_url.starts_with("file://") {
            return Ok(PublicUrl { client: None });
        }
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let builder = Client::builder(TokioExecutor::new());
        if public_url.starts_with("http://") {
            return Ok(PublicUrl {
                client: Some(Http::Plain(builder.build(http))),
            });
        }
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| StoreError::Unreachable {
                endpoint: public_url.into(),
                detail: format!("no TLS root certificates: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(PublicUrl {
            client: Some(Http::Tls(builder.build(https))),
        })
    }

    /// Downloads `url` into the file `to` (created or truncated); returns the
    /// bytes written.
    pub async fn fetch(&self, url: &str, to: &Path) -> Result<u64, StoreError> {
        if let Some(path) = url.strip_prefix("file://") {
            let from = PathBuf::from(percent_decode_str(path).decode_utf8_lossy().as_ref());
            return tokio::fs::copy(&from, to)
                .await
                .map_err(|source| StoreError::Io { path: from, source });
        }
        let Some(client) = &self.client else {
            return Err(StoreError::Http {
                url: url.into(),
                status: 0,
            });
        };
        let mut tries = 0;
        loop {
            tries += 1;
            match get(client, url, to).await {
                Err(e) if tries < ATTEMPTS && transient(&e) => {
                    tracing::debug!("GET {url}: {e}; trying again");
                    tokio::time::sleep(Duration::from_millis(200 << tries)).await;
                }
                other => return other,
            }
        }
    }
}

fn transient(e: &StoreError) -> bool {
    match e {
        StoreError::Http { status, .. } => *status >= 500 || *status == 429,
        StoreError::Unreachable { .. } | StoreError::Timeout { .. } => true,
        _ => false,
    }
}

async fn get(client: &Http, url: &str, to: &Path) -> Result<u64, StoreError> {
    let mut url = url.to_string();
    for _ in 0..=REDIRECTS {
        let uri: hyper::Uri = url.parse().map_err(|e| StoreError::Other {
            op: "GET",
            key: url.clone(),
            detail: format!("not a URL: {e}"),
        })?;
        let req = hyper::Request::get(uri)
            .header(
                "user-agent",
                concat!("r2filter/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::new())
            .expect("a GET request builds");
        let resp = tokio::time::timeout(READ_TIMEOUT, client.request(req))
            .await
            .map_err(|_| StoreError::Timeout {
                op: "GET",
                key: url.clone(),
                detail: format!("no answer in {}s", READ_TIMEOUT.as_secs()),
            })?
            .map_err(|e| StoreError::Unreachable {
                endpoint: url.clone(),
                detail: e.to_string(),
            })?;
        let status = resp.status();
        if status.is_redirection() {
            let Some(next) = resp
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|l| l.to_str().ok())
            else {
                return Err(StoreError::Http {
                    url,
                    status: status.as_u16(),
                });
            };
            url = absolute(&url, next);
            continue;
        }
        if !status.is_success() {
            return Err(StoreError::Http {
                url,
                status: status.as_u16(),
            });
        }
        return write_body(resp.into_body(), &url, to).await;
    }
    Err(StoreError::Other {
        op: "GET",
        key: url,
        detail: format!("more than {REDIRECTS} redirects"),
    })
}

/// Streams `body` into the file `to`; returns the bytes written.
async fn write_body(
    mut body: hyper::body::Incoming,
    url: &str,
    to: &Path,
) -> Result<u64, StoreError> {
    let io = |source| StoreError::Io {
        path: to.into(),
        source,
    };
    let mut file = tokio::fs::File::create(to).await.map_err(io)?;
    let mut written = 0u64;
    loop {
        let frame = tokio::time::timeout(READ_TIMEOUT, body.frame())
            .await
            .map_err(|_| StoreError::Timeout {
                op: "GET",
                key: url.into(),
                detail: "the body stalled".into(),
            })?;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| StoreError::Unreachable {
            endpoint: url.into(),
            detail: e.to_string(),
        })?;
        if let Ok(data) = frame.into_data() {
            file.write_all(&data).await.map_err(io)?;
            written += data.len() as u64;
        }
    }
    file.flush().await.map_err(io)?;
    Ok(written)
}

/// A `Location` made absolute against the URL that sent it.
fn absolute(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if location.starts_with('/') {
        format!("{}{location}", &base[..host_end])
    } else {
        let dir_end = base
            .rfind('/')
            .filter(|&i| i >= host_end)
            .unwrap_or(host_end);
        format!("{}/{location}", &base[..dir_end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_locations() {
        let base = "https://cdn.example.com/2026/11/a.png";
        assert_eq!(absolute(base, "https://x.org/b.png"), "https://x.org/b.png");
        assert_eq!(absolute(base, "/b.png"), "https://cdn.example.com/b.png");
        assert_eq!(
            absolute(base, "b.png"),
            "https://cdn.example.com/2026/11/b.png"
        );
    }

    #[tokio::test]
    async fn file_urls_are_copied() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a b.png"), b"bytes").unwrap();
        let base =
            crate::object::public_url(&format!("file://{}", dir.path().display()), "a b.png");
        let to = dir.path().join("out");
        let fetcher = PublicUrl::new(&base).unwrap();
        assert_eq!(fetcher.fetch(&base, &to).await.unwrap(), 5);
        assert_eq!(std::fs::read(&to).unwrap(), b"bytes");
    }
}
