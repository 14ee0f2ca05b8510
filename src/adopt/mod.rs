//! Rescue: remote images on listed hosts (`adopt = ["i.imgur.com",
//! "*.sinaimg.cn"]`) are downloaded, checked and published like local files
//! (the pipeline's fetch phase, [`crate::pipeline`]), and the manifest
//! remembers each origin URL with its object, so reruns ask nobody and
//! `eject` can put the URL back.
//!
//! This module is what every build has: the host patterns, which URL a
//! reference means ([`Adopt::target`]), the address classifier ([`addr`]) and
//! the reasons a fetch fails ([`AdoptError`]). The HTTP client ([`http`]) is
//! part of the `s3` feature (the network); `check --remote` is [`remote`].

pub mod addr;
#[cfg(feature = "s3")]
pub mod http;
pub mod remote;

use std::path::Path;
use std::time::Duration;

use crate::document::Document;

/// Default `adopt-max-bytes`: 50 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;
/// Default `adopt-timeout`, in seconds: to connect, and for each read.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Redirects followed at most (each hop checked again).
pub const MAX_REDIRECTS: usize = 5;
/// Requests at once to one host, whatever `concurrency` allows in all: a
/// host that is dying should not be hammered.
pub const PER_HOST: usize = 8;

/// One `adopt` entry: `host`, `*.domain` (any name under it, not the domain
/// itself), optionally `http://` in front (plain HTTP allowed; otherwise
/// only HTTPS) and `:port` after (that port only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// Plain `http://` allowed.
    pub http: bool,
    /// Any name under `host` (`*.host`).
    pub wildcard: bool,
    /// Lower-case ASCII (IDNA), IPv6 in brackets, as [`url::Host`] prints it.
    pub host: String,
    pub port: Option<u16>,
    /// As written in the configuration.
    pub written: String,
}

impl HostPattern {
    /// Parses one `adopt` entry.
    pub fn parse(written: &str) -> Result<HostPattern, String> {
        let text = written.trim();
        let (http, rest) = if let Some(r) = text.strip_prefix("http://") {
            (true, r)
        } else {
            (false, text.strip_prefix("https://").unwrap_or(text))
        };
        let rest = rest.trim_end_matches('/');
        let (wildcard, rest) = match rest.strip_prefix("*.") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.is_empty() || rest == "*" {
            return Err("name the hosts to adopt from (`*` alone is not allowed)".into());
        }
        if rest.contains(['/', '?', '#', '@', '*']) {
            return Err("a host, `*.domain`, or `http://host`: no path, user or other `*`".into());
        }
        // The URL parser's own host and port: the host a request goes to.
        let url = url::Url::parse(&format!("http://{rest}/"))
            .map_err(|e| format!("not a host name: {e}"))?;
        let host = url
            .host_str()
            .ok_or("not a host name")?
            .trim_end_matches('.')
            .to_string();
        Ok(HostPattern {
            http,
            wildcard,
            host,
            port: url.port(),
            written: written.to_string(),
        })
    }

    /// Whether `url` (http or https) is on this pattern's host and port, and
    /// its scheme is allowed.
    pub fn matches(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_end_matches('.');
        let on_host = if self.wildcard {
            host.strip_suffix(self.host.as_str())
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        } else {
            host == self.host
        };
        let port = self.port.is_none() || url.port_or_known_default() == self.port;
        let scheme = url.scheme() == "https" || (self.http && url.scheme() == "http");
        on_host && port && scheme
    }
}

/// The `adopt` settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopt {
    pub hosts: Vec<HostPattern>,
    /// Largest body downloaded (`adopt-max-bytes`).
    pub max_bytes: u64,
    /// Loopback and private addresses allowed (`adopt-private`).
    pub private: bool,
    /// To connect, and for each read (`adopt-timeout`); a whole download gets
    /// ten times this.
    pub timeout: Duration,
    /// A failed adoption fails the run (`--strict`).
    pub strict: bool,
}

impl Default for Adopt {
    fn default() -> Adopt {
        Adopt {
            hosts: Vec::new(),
            max_bytes: DEFAULT_MAX_BYTES,
            private: false,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            strict: false,
        }
    }
}

/// What a remote reference adopts: the URL to fetch, and what the document
/// keeps around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL requested: `//host` made `https:`, `http:` made `https:`
    /// unless the host's pattern allows plain HTTP, no fragment.
    pub fetch: url::Url,
    /// The reference as written, without its `#fragment`: what the manifest
    /// records and `eject` puts back.
    pub origin: String,
    /// `#fragment`, carried over to the new URL (it never reaches a server).
    pub fragment: String,
}

impl Adopt {
    /// Whether any host is listed.
    pub fn is_on(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// The pattern `url` matches, if any.
    pub fn pattern_for(&self, url: &url::Url) -> Option<&HostPattern> {
        self.hosts.iter().find(|p| p.matches(url))
    }

    /// What the reference written `written` adopts, when it is an `http(s)://`
    /// or `//` URL on a listed host; `None` otherwise (it stays remote).
    pub fn target(&self, written: &str) -> Option<Target> {
        if !self.is_on() {
            return None;
        }
        let mut url = parse_remote(written)?;
        let written = written.trim();
        let (origin, fragment) = match written.find('#') {
            Some(i) => (&written[..i], &written[i..]),
            None => (written, ""),
        };
        url.set_fragment(None);
        if self.pattern_for(&url).is_none() && url.scheme() == "http" {
            // HTTPS by default: `http://i.imgur.com/a.png` is fetched as https.
            url.set_scheme("https").ok()?;
        }
        self.pattern_for(&url)?;
        Some(Target {
            fetch: url,
            origin: origin.to_string(),
            fragment: fragment.to_string(),
        })
    }
}

/// `written` as an `http(s)` URL (`//host/…` as `https:`), if it is one.
pub fn parse_remote(written: &str) -> Option<url::Url> {
    let written = written.trim();
    let url = if written.starts_with("//") {
        url::Url::parse(&format!("https:{written}")).ok()?
    } else {
        url::Url::parse(written).ok()?
    };
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then_some(url)
}

/// Why a remote image was not adopted (or `check --remote` found it dead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdoptError {
    #[error("HTTP {status}: the source is gone")]
    Gone { status: u16 },
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("not an image: {what}")]
    NotAnImage { what: String },
    #[error("larger than adopt-max-bytes ({limit} bytes){}", .declared.map(|d| format!(": {d} bytes announced")).unwrap_or_default())]
    TooLarge { limit: u64, declared: Option<u64> },
    #[error("timed out: {what}")]
    Timeout { what: String },
    #[error("refused address {addr} of {host}: {why} (set adopt-private = true to allow it)")]
    Refused {
        host: String,
        addr: String,
        why: &'static str,
    },
    #[error("redirected to {url}, which is not on an adopted host")]
    NotListed { url: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("a redirect loop (back to {url})")]
    RedirectLoop { url: String },
    #[error("{detail}")]
    Network { detail: String },
    #[error("{detail}")]
    Io { detail: String },
    /// This build has no HTTP client (the lean mdbook-r2filter).
    #[error("this build has no HTTP client (r2filter without its `s3` feature)")]
    NoClient,
}

impl AdoptError {
    /// The class a report groups failures by.
    pub fn kind(&self) -> &'static str {
        match self {
            AdoptError::Gone { .. } => "gone",
            AdoptError::Status { .. } => "http-error",
            AdoptError::NotAnImage { .. } => "not-an-image",
            AdoptError::TooLarge { .. } => "too-large",
            AdoptError::Timeout { .. } => "timeout",
            AdoptError::Refused { .. } => "refused-address",
            AdoptError::NotListed { .. } => "not-listed",
            AdoptError::TooManyRedirects | AdoptError::RedirectLoop { .. } => "redirects",
            AdoptError::Network { .. } => "network",
            AdoptError::Io { .. } => "io",
            AdoptError::NoClient => "no-client",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            AdoptError::Gone { .. } => "the host no longer serves it: find another copy (the Wayback Machine often has one), or remove the image".into(),
            AdoptError::NotAnImage { .. } => "the host answered with something else (often an HTML login wall or error page): open the URL in a browser".into(),
            AdoptError::TooLarge { .. } => "raise adopt-max-bytes if the image is wanted".into(),
            AdoptError::Refused { .. } => "r2filter never fetches from this machine or a private network unless adopt-private = true (for tests and intranets)".into(),
            AdoptError::NotListed { .. } => "add that host to `adopt` if it is to be trusted".into(),
            _ => "try again later; the reference was kept as written".into(),
        }
    }
}

/// How the manifest names a document among an origin's places: its path
/// relative to the root (`/`-separated), or its name when it is outside
/// the root (standard input).
pub fn document_place(root: &Path, doc: &Document) -> String {
    let base = doc
        .base_dir
        .canonicalize()
        .unwrap_or_else(|_| doc.base_dir.clone());
    let relative = Path::new(&doc.name)
        .file_name()
        .map(|name| base.join(name))
        .and_then(|file| {
            let rel = file.strip_prefix(root).ok()?;
            let parts: Option<Vec<&str>> =
                rel.components().map(|c| c.as_os_str().to_str()).collect();
            Some(parts?.join("/"))
        });
    relative.unwrap_or_else(|| doc.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adopt(patterns: &[&str]) -> Adopt {
        Adopt {
            hosts: patterns
                .iter()
                .map(|p| HostPattern::parse(p).unwrap())
                .collect(),
            ..Adopt::default()
        }
    }

    #[test]
    fn host_patterns() {
        let a = adopt(&[
            "i.imgur.com",
            "*.sinaimg.cn",
            "http://legacy.example.org:8080",
        ]);
        let t = |u: &str| a.target(u).map(|t| t.fetch.to_string());
        assert_eq!(
            t("https://i.imgur.com/a.png"),
            Some("https://i.imgur.com/a.png".into())
        );
        // HTTPS by default; `//host` is https.
        assert_eq!(
            t("http://I.Imgur.com/a.png#x"),
            Some("https://i.imgur.com/a.png".into())
        );
        assert!(a.target("https://i.imgur.com./a.png").is_some());
        assert_eq!(
            t("//i.imgur.com/a.png"),
            Some("https://i.imgur.com/a.png".into())
        );
        assert_eq!(
            t("https://wx1.sinaimg.cn/large/a.jpg"),
            Some("https://wx1.sinaimg.cn/large/a.jpg".into())
        );
        assert_eq!(
            t("https://a.b.sinaimg.cn/x.jpg"),
            Some("https://a.b.sinaimg.cn/x.jpg".into())
        );
        // Not the domain itself, not a look-alike, not another user's host.
        assert_eq!(t("https://sinaimg.cn/a.jpg"), None);
        assert_eq!(t("https://evilsinaimg.cn/a.jpg"), None);
        assert_eq!(t("https://i.imgur.com.evil.org/a.png"), None);
        assert_eq!(t("https://i.imgur.com@evil.org/a.png"), None);
        assert_eq!(t("https://imgur.com/a.png"), None);
        // Plain HTTP where the pattern says so, on its port only.
        assert_eq!(
            t("http://legacy.example.org:8080/a.png"),
            Some("http://legacy.example.org:8080/a.png".into())
        );
        assert_eq!(t("http://legacy.example.org/a.png"), None);
        assert_eq!(t("ftp://i.imgur.com/a.png"), None);
        assert_eq!(t("data:image/png;base64,AA"), None);
        let target = a.target("https://i.imgur.com/a.png?x=1#frag").unwrap();
        assert_eq!(target.origin, "https://i.imgur.com/a.png?x=1");
        assert_eq!(target.fragment, "#frag");
        for bad in ["", "*", "https://", "i.imgur.com/a", "user@host", "*.*.cn"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(adopt(&[]).target("https://i.imgur.com/a.png"), None);
    }
}
