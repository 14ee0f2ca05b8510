//! The HTTP side of adoption and of `check --remote` (reqwest with rustls,
//! on a tokio runtime owned here and driven with `block_on`, so nothing above
//! is async).
//!
//! Every request is checked before it connects, and again at each redirect:
//!
//! - the scheme and host: an adopted image comes from a listed host (HTTPS
//!   unless its pattern says `http://`), and so does every hop after it;
//! - the addresses: an IP-literal host is judged by [`super::addr`] before
//!   the request; a name is resolved by [`Filtering`], which hands the
//!   connector only the addresses that pass, so a public name pointing at
//!   127.0.0.1 or 169.254.169.254 connects nowhere (`adopt-private = true`
//!   lifts both).
//!
//! Bodies are streamed to disk, hashed and sniffed as they arrive; the size
//! cap and the image check stop a download as soon as they fail (an HTML
//! login wall is known by its first 8 KiB, not after 50 MiB). 429 and 5xx
//! answers and dropped connections are retried with backoff; requests to one
//! host are bounded ([`super::PER_HOST`]).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use reqwest::header;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::{Adopt, AdoptError, HostPattern, MAX_REDIRECTS, PER_HOST, addr};
use crate::object::{self, FileInfo};

/// Tries per URL (the first included) on 429, 5xx or a dropped connection.
const ATTEMPTS: u32 = 4;
/// Bytes of the body sniffed before the rest is accepted.
const SNIFF_LEN: usize = 8192;
/// Longest `Retry-After` honoured; longer ones wait this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Which URLs a client may request.
#[derive(Debug, Clone)]
struct Rules {
    /// `None`: any host (`check --remote`).
    hosts: Option<Vec<HostPattern>>,
    /// Loopback and private addresses allowed.
    private: bool,
}

impl Rules {
    /// Checks one hop before it is requested: scheme, host, and the address
    /// of an IP-literal host (a name's addresses are checked by [`Filtering`]).
    fn check(&self, url: &url::Url) -> Result<(), AdoptError> {
        let listed = match &self.hosts {
            Some(hosts) => hosts.iter().any(|p| p.matches(url)),
            None => matches!(url.scheme(), "http" | "https"),
        };
        if !listed {
            return Err(AdoptError::NotListed {
                url: url.to_string(),
            });
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        match addr::refusal(ip).filter(|_| !self.private) {
            Some(why) => Err(AdoptError::Refused {
                host: url.host_str().unwrap_or_default().to_string(),
                addr: ip.to_string(),
                why,
            }),
            None => Ok(()),
        }
    }
}

/// The system resolver, keeping only the addresses [`addr::refusal`] passes
/// (all with `adopt-private`). A name with none left is an error the
/// connector reports as ours ([`AdoptError::Refused`]).
struct Filtering {
    private: bool,
}

impl reqwest::dns::Resolve for Filtering {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let private = self.private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|a| private || addr::refusal(a.ip()).is_none());
            if let (true, Some(first)) = (ok.is_empty(), refused.first()) {
                let why = addr::refusal(first.ip()).unwrap_or("refused");
                let refused = AdoptError::Refused {
                    host,
                    addr: first.ip().to_string(),
                    why,
                };
                return Err(Box::new(refused) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Downloads and probes, `concurrency` at once and [`PER_HOST`] per host.
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    rules: Rules,
    max_bytes: u64,
    timeout: Duration,
    concurrency: usize,
}

impl Fetcher {
    /// A fetcher for adopting: listed hosts only, `adopt`'s limits.
    pub fn for_adopt(adopt: &Adopt, concurrency: usize) -> Result<Fetcher, AdoptError> {
        let rules = Rules {
            hosts: Some(adopt.hosts.clone()),
            private: adopt.private,
        };
        Fetcher::new(rules, adopt.max_bytes, adopt.timeout, concurrency)
    }

    /// A fetcher for `check --remote`: any host, the same address rules.
    pub fn for_check(adopt: &Adopt, concurrency: usize) -> Result<Fetcher, AdoptError> {
        let rules = Rules {
            hosts: None,
            private: adopt.private,
        };
        Fetcher::new(rules, adopt.max_bytes, adopt.timeout, concurrency)
    }

    fn new(
        rules: Rules,
        max_bytes: u64,
        timeout: Duration,
        concurrency: usize,
    ) -> Result<Fetcher, AdoptError> {
        let io = |e: std::io::Error| AdoptError::Io {
            detail: e.to_string(),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(io)?;
        let hops = rules.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let url = attempt.url().clone();
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(AdoptError::TooManyRedirects);
            }
            if attempt.previous().contains(&url) {
                let url = url.to_string();
                return attempt.error(AdoptError::RedirectLoop { url });
            }
            match hops.check(&url) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let client = {
            let _in_runtime = runtime.enter();
            reqwest::Client::builder()
                .no_proxy()
                .user_agent(concat!("r2filter/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(timeout)
                .read_timeout(timeout)
                .redirect(policy)
                .referer(false)
                .dns_resolver(Filtering {
                    private: rules.private,
                })
                .pool_max_idle_per_host(PER_HOST)
                .build()
                .map_err(|e| AdoptError::Network { detail: chain(&e) })?
        };
        Ok(Fetcher {
            runtime,
            client,
            rules,
            max_bytes,
            timeout,
            concurrency: concurrency.max(1),
        })
    }

    /// Downloads each URL into its file; each result is the file's hash,
    /// size and type (always an image), in the order of `items`.
    pub fn download_all(&self, items: &[(url::Url, PathBuf)]) -> Vec<Result<FileInfo, AdoptError>> {
        let hosts = HostLimits::for_urls(items.iter().map(|(u, _)| u));
        self.runtime.block_on(in_order(
            items.iter().map(|(url, to)| {
                let host = hosts.of(url);
                async move {
                    let _slot = host.acquire().await.ok();
                    self.download(url, to).await
                }
            }),
            self.concurrency,
        ))
    }

    /// Asks each URL whether it is there (HEAD, or a one-byte ranged GET
    /// where HEAD is not answered): the final status after redirects, in the
    /// order of `urls`.
    pub fn probe_all(&self, urls: &[url::Url]) -> Vec<Result<u16, AdoptError>> {
        let hosts = HostLimits::for_urls(urls.iter());
        self.runtime.block_on(in_order(
            urls.iter().map(|url| {
                let host = hosts.of(url);
                async move {
                    let _slot = host.acquire().await.ok();
                    self.probe(url).await
                }
            }),
            self.concurrency,
        ))
    }

    /// One download, retried on transient failures, within ten times the
    /// timeout in all.
    async fn download(&self, url: &url::Url, to: &Path) -> Result<FileInfo, AdoptError> {
        self.rules.check(url)?;
        let deadline = self.timeout * 10;
        let whole = retried(|| self.download_once(url, to));
        tokio::time::timeout(deadline, whole)
            .await
            .unwrap_or_else(|_| {
                Err(AdoptError::Timeout {
                    what: format!("not downloaded in {}s", deadline.as_secs()),
                })
            })
    }

    async fn download_once(&self, url: &url::Url, to: &Path) -> Attempt<FileInfo> {
        let resp = self
            .client
            .get(url.clone())
            .header(header::ACCEPT, "image/*,*/*;q=0.8")
            .send()
            .await
            .map_err(|e| transient(classify(&e, self.timeout)))?;
        let status = resp.status().as_u16();
        if status == 429 || status >= 500 {
            return Err((AdoptError::Status { status }, Some(retry_after(&resp))));
        }
        if status == 404 || status == 410 {
            return Err((AdoptError::Gone { status }, None));
        }
        if !(200..300).contains(&status) {
            return Err((AdoptError::Status { status }, None));
        }
        if let Some(len) = resp.content_length().filter(|&n| n > self.max_bytes) {
            let e = AdoptError::TooLarge {
                limit: self.max_bytes,
                declared: Some(len),
            };
            return Err((e, None));
        }
        self.save_body(resp, to).await
    }

    /// Streams the body into `to`, hashing and sniffing as it comes.
    async fn save_body(&self, mut resp: reqwest::Response, to: &Path) -> Attempt<FileInfo> {
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let io = |e: std::io::Error| {
            let detail = format!("{}: {e}", to.display());
            (AdoptError::Io { detail }, None)
        };
        let mut file = tokio::fs::File::create(to).await.map_err(io)?;
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
        let mut size = 0u64;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| transient(classify(&e, self.timeout)))?
        {
            size += chunk.len() as u64;
            if size > self.max_bytes {
                let limit = self.max_bytes;
                return Err((
                    AdoptError::TooLarge {
                        limit,
                        declared: None,
                    },
                    None,
                ));
            }
            if head.len() < SNIFF_LEN {
                let take = chunk.len().min(SNIFF_LEN - head.len());
                head.extend_from_slice(&chunk[..take]);
                if head.len() == SNIFF_LEN && image_type(&head).is_none() {
                    return Err((not_an_image(content_type.as_deref(), &head), None));
                }
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        let Some(kind) = image_type(&head) else {
            return Err((not_an_image(content_type.as_deref(), &head), None));
        };
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(FileInfo {
            sha256,
            size,
            kind: Some(kind),
        })
    }

    /// One probe, retried on transient failures.
    async fn probe(&self, url: &url::Url) -> Result<u16, AdoptError> {
        self.rules.check(url)?;
        let deadline = self.timeout * 4;
        let whole = retried(|| self.probe_once(url));
        tokio::time::timeout(deadline, whole)
            .await
            .unwrap_or_else(|_| {
                Err(AdoptError::Timeout {
                    what: format!("no answer in {}s", deadline.as_secs()),
                })
            })
    }

    async fn probe_once(&self, url: &url::Url) -> Attempt<u16> {
        let send = |req: reqwest::RequestBuilder| async move {
            let resp = req
                .send()
                .await
                .map_err(|e| transient(classify(&e, self.timeout)))?;
            let status = resp.status().as_u16();
            if status == 429 || status >= 500 {
                return Err((AdoptError::Status { status }, Some(retry_after(&resp))));
            }
            Ok(status)
        };
        let status = send(self.client.head(url.clone())).await?;
        if (200..300).contains(&status) || status == 404 || status == 410 {
            return Ok(status);
        }
        // Some hosts answer HEAD with 403 or 405 but serve the image: ask
        // for its first byte.
        send(
            self.client
                .get(url.clone())
                .header(header::RANGE, "bytes=0-0"),
        )
        .await
    }
}

/// An attempt's result: the error, and `Some(wait)` when worth trying again.
type Attempt<T> = Result<T, (AdoptError, Option<Duration>)>;

/// Runs `once` up to [`ATTEMPTS`] times, waiting as each failure says.
async fn retried<T, F, Fut>(once: F) -> Result<T, AdoptError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match once().await {
            Ok(v) => return Ok(v),
            Err((e, Some(wait))) if tries < ATTEMPTS => {
                let backoff = Duration::from_millis(250 << tries);
                tracing::debug!("{e}; trying again");
                tokio::time::sleep(wait.max(backoff).min(MAX_RETRY_AFTER)).await;
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// A network failure, retried unless it is a refusal or a timeout.
fn transient(e: AdoptError) -> (AdoptError, Option<Duration>) {
    let retry = matches!(e, AdoptError::Network { .. }).then_some(Duration::ZERO);
    (e, retry)
}

/// `Retry-After` in seconds, when the host sends one.
fn retry_after(resp: &reqwest::Response) -> Duration {
    resp.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_secs)
}

/// Our own error when a check inside reqwest made it (a redirect hop, the
/// resolver), else what reqwest says.
fn classify(e: &reqwest::Error, timeout: Duration) -> AdoptError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(ours) = s.downcast_ref::<AdoptError>() {
            return ours.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        return AdoptError::Timeout {
            what: format!("nothing for {}s", timeout.as_secs()),
        };
    }
    AdoptError::Network { detail: chain(e) }
}

/// An error and its causes, `: `-separated (reqwest's own message is terse).
fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

/// What a body that is not an image looks like, for the report.
/// The image type of a body starting with `head`. Images only: a video or
/// a PDF on an image host is not what the reference showed, and an adopted
/// file has no name to say otherwise.
fn image_type(head: &[u8]) -> Option<object::ImageType> {
    object::sniff(head).filter(|kind| kind.is_image())
}

fn not_an_image(content_type: Option<&str>, head: &[u8]) -> AdoptError {
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let served = content_type.map_or(String::new(), |t| format!(", served as {t}"));
    let what = if text.starts_with("<!doctype html") || text.starts_with("<html") {
        format!("an HTML page (a login wall or an error page){served}")
    } else if head.is_empty() {
        format!("an empty body{served}")
    } else {
        format!("bytes that are no PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF{served}")
    };
    AdoptError::NotAnImage { what }
}

/// One semaphore per `host:port`.
struct HostLimits(HashMap<String, Arc<Semaphore>>);

impl HostLimits {
    fn for_urls<'a>(urls: impl Iterator<Item = &'a url::Url>) -> HostLimits {
        let mut map = HashMap::new();
        for url in urls {
            map.entry(host_key(url))
                .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST)));
        }
        HostLimits(map)
    }

    fn of(&self, url: &url::Url) -> Arc<Semaphore> {
        self.0[&host_key(url)].clone()
    }
}

fn host_key(url: &url::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Runs `futures`, `concurrency` at once (a slow one does not hold up the
/// others), and returns their results in their order.
async fn in_order<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = T>>,
    concurrency: usize,
) -> Vec<T> {
    let mut done: Vec<(usize, T)> = stream::iter(futures.enumerate())
        .map(|(i, f)| async move { (i, f.await) })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_are_adopted() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
        assert_eq!(image_type(png).map(|k| k.mime), Some("image/png"));
        // A PDF and an MP4 sniff as assets r2filter publishes, not as images.
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
        let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
        for head in [&pdf[..], &mp4[..]] {
            assert!(object::sniff(head).is_some_and(|k| !k.is_image()));
            assert_eq!(image_type(head), None);
        }
    }

    #[test]
    fn html_is_named_as_such() {
        let e = not_an_image(Some("text/html"), b"\n<!DOCTYPE html><title>Log in</title>");
        assert_eq!(
            e.to_string(),
            "not an image: an HTML page (a login wall or an error page), served as text/html"
        );
    }

    #[test]
    fn literal_private_hosts_are_refused_before_any_request() {
        let rules = Rules {
            hosts: Some(vec![HostPattern::parse("http://127.0.0.1").unwrap()]),
            private: false,
        };
        let url = url::Url::parse("http://127.0.0.1:9/a.png").unwrap();
        assert!(matches!(
            rules.check(&url),
            Err(AdoptError::Refused {
                why: "loopback",
                ..
            })
        ));
        let open = Rules {
            private: true,
            ..rules.clone()
        };
        assert_eq!(open.check(&url), Ok(()));
        let other = url::Url::parse("http://127.0.0.2/a.png").unwrap();
        assert!(matches!(
            open.check(&other),
            Err(AdoptError::NotListed { .. })
        ));
    }
}
