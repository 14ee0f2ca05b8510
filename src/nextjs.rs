//! Next.js: `next/image` loads a remote image only from a host that
//! `images.remotePatterns` (or the older `images.domains`) in
//! `next.config.{js,mjs,ts}` allows; any other answers HTTP 400 "url
//! parameter is not allowed" at run time, after `next build` passed. Every
//! run and `r2filter check` read the config beside the root and warn, with
//! the snippet to add, when it lets `next/image` optimize images but allows
//! no pattern matching the public URL's host.
//!
//! The config is a program: it is read here as text (comments dropped), for
//! `hostname: '…'` and `new URL('…')` in `remotePatterns`, string literals in
//! `domains`, and `unoptimized: true` or a custom `loader`, which need no
//! pattern. A host built at run time (`process.env.CDN_HOST`) cannot be read
//! this way, so this is a warning and never fails a run or `check`.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// The config files Next.js reads, in its order.
pub(crate) const CONFIG_FILES: &[&str] = &["next.config.js", "next.config.mjs", "next.config.ts"];

/// A config that does not let `next/image` load the public URL's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingHost {
    pub(crate) file: PathBuf,
    pub(crate) host: String,
    pub(crate) snippet: String,
}

impl std::fmt::Display for MissingHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: images.remotePatterns does not allow {}, so next/image will refuse the images r2filter publishes there (HTTP 400 \"url parameter is not allowed\"); add this to the config (or set images.unoptimized = true), see `r2filter init --nextjs`:\n{}",
            self.file.display(),
            self.host,
            self.snippet
        )
    }
}

/// Warns (once per run) when the Next.js config beside the root lacks the
/// public URL's host.
pub(crate) fn warn_missing_host(cfg: &Config) {
    if let Some(missing) = missing_host(&cfg.root, &cfg.destination.public_url) {
        tracing::warn!("{missing}");
    }
}

/// The problem with the Next.js config in `dir`, if it has one.
pub(crate) fn missing_host(dir: &Path, public_url: &str) -> Option<MissingHost> {
    let (protocol, host, path) = split_url(public_url)?;
    let file = CONFIG_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|f| f.is_file())?;
    let text = strip_comments(&std::fs::read_to_string(&file).ok()?);
    if no_optimizer(&text) || allowed_hosts(&text).iter().any(|p| host_matches(p, host)) {
        return None;
    }
    Some(MissingHost {
        snippet: snippet(protocol, host, path),
        file,
        host: host.to_string(),
    })
}

/// The `images` entry that allows `public_url` (`https://host/path`).
pub(crate) fn snippet(protocol: &str, host: &str, path: &str) -> String {
    format!(
        "  images: {{\n    remotePatterns: [\n      {{ protocol: '{protocol}', hostname: '{host}', pathname: '{}/**' }},\n    ],\n  }},",
        path.trim_end_matches('/')
    )
}

/// (`https`, `assets.example.com`, `/blog`) of an http(s) URL.
pub(crate) fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (protocol, rest) = url.split_once("://")?;
    if !matches!(protocol, "http" | "https") {
        return None;
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next().filter(|h| !h.is_empty())?;
    Some((protocol, host, path))
}

/// `images.unoptimized: true` or a custom `loader`/`loaderFile`: images
/// are not fetched through the optimizer, which is what checks hosts.
fn no_optimizer(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("unoptimized:true")
        || compact.contains("loaderFile:")
        || compact.contains("loader:'custom'")
        || compact.contains("loader:\"custom\"")
}

/// Host patterns the config names: `hostname: '…'`, the host of each
/// `new URL('…')`, and the strings of `domains: [...]`.
fn allowed_hosts(text: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for (i, _) in text.match_indices("hostname") {
        let rest = text[i + "hostname".len()..].trim_start();
        if let Some(value) = rest.strip_prefix(':').and_then(string_literal) {
            hosts.push(value);
        }
    }
    for (i, _) in text.match_indices("new URL(") {
        if let Some(url) = string_literal(&text[i + "new URL(".len()..])
            && let Some((_, host, _)) = split_url(&url)
        {
            hosts.push(host.to_string());
        }
    }
    for (i, _) in text.match_indices("domains") {
        let rest = text[i + "domains".len()..].trim_start();
        let Some(list) = rest.strip_prefix(':').map(str::trim_start) else {
            continue;
        };
        let Some(list) = list.strip_prefix('[') else {
            continue;
        };
        let list = &list[..list.find(']').unwrap_or(list.len())];
        let mut at = list;
        while let Some(q) = at.find(['\'', '"', '`']) {
            let Some(value) = string_literal(&at[q..]) else {
                break;
            };
            at = &at[q + value.len() + 2..];
            hosts.push(value);
        }
    }
    hosts
}

/// The string literal at the start of `text` (after white space), if one.
fn string_literal(text: &str) -> Option<String> {
    let text = text.trim_start();
    let quote = text
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))?;
    let body = &text[1..];
    let end = body.find(quote)?;
    Some(body[..end].to_string())
}

/// Whether `host` matches a `remotePatterns` hostname: `*` stands for one
/// label, `**` for one or more (as Next.js's matcher reads them).
pub(crate) fn host_matches(pattern: &str, host: &str) -> bool {
    fn labels(p: &[&str], h: &[&str]) -> bool {
        match (p.first(), h.first()) {
            (None, None) => true,
            (Some(&"**"), Some(_)) => (1..=h.len()).any(|n| labels(&p[1..], &h[n..])),
            (Some(&l), Some(&x)) if l == "*" || l.eq_ignore_ascii_case(x) => {
                labels(&p[1..], &h[1..])
            }
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    labels(&p, &h)
}

/// `text` without `//` and `/* */` comments (string literals kept whole).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                out.extend(chars.next());
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            ('\'' | '"' | '`', _) => {
                quote = Some(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), config).unwrap();
        dir
    }

    const URL: &str = "https://assets.example.com/blog";

    #[test]
    fn a_config_without_the_host_is_found_with_the_snippet_to_add() {
        let dir = site(
            "next.config.mjs",
            "// hostname: 'assets.example.com' is only a comment\nexport default { images: { remotePatterns: [{ protocol: 'https', hostname: 'other.example.com' }] } };\n",
        );
        let missing = missing_host(dir.path(), URL).unwrap();
        assert_eq!(missing.file, dir.path().join("next.config.mjs"));
        assert_eq!(missing.host, "assets.example.com");
        assert_eq!(
            missing.snippet,
            "  images: {\n    remotePatterns: [\n      { protocol: 'https', hostname: 'assets.example.com', pathname: '/blog/**' },\n    ],\n  },"
        );
        // No images settings at all: the same.
        let dir = site(
            "next.config.js",
            "module.exports = { reactStrictMode: true };\n",
        );
        assert!(missing_host(dir.path(), URL).is_some());
    }

    #[test]
    fn patterns_domains_urls_and_no_optimizer_are_understood() {
        for config in [
            "export default { images: { remotePatterns: [{ protocol: 'https', hostname: \"assets.example.com\", pathname: '/**' }] } }",
            "module.exports = { images: { remotePatterns: [{ hostname: '**.example.com' }] } }",
            "module.exports = { images: { remotePatterns: [{ hostname: '*.example.com' }] } }",
            "const c: NextConfig = { images: { remotePatterns: [new URL('https://assets.example.com/**')] } }",
            "module.exports = { images: { domains: ['cdn.example.org', \"assets.example.com\"] } }",
            "export default { output: 'export', images: { unoptimized: true } }",
            "export default { images: { loader: 'custom', loaderFile: './loader.js' } }",
        ] {
            let dir = site("next.config.ts", config);
            assert_eq!(missing_host(dir.path(), URL), None, "{config}");
        }
        // No config, or a public URL that is no web host: nothing to say.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(missing_host(empty.path(), URL), None);
        let dir = site("next.config.js", "module.exports = {}");
        assert_eq!(missing_host(dir.path(), "file:///tmp/bucket"), None);
    }

    #[test]
    fn host_patterns_as_next_reads_them() {
        assert!(host_matches("assets.example.com", "assets.example.com"));
        assert!(host_matches("*.example.com", "assets.example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(host_matches("**.example.com", "a.b.example.com"));
        assert!(!host_matches("**.example.com", "example.com"));
        assert!(!host_matches("example.com", "assets.example.com"));
        assert_eq!(
            split_url("https://user@cdn.example.com:8443/a/b"),
            Some(("https", "cdn.example.com", "/a/b"))
        );
    }
}
