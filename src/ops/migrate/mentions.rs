//! Which image files the rest of the repository still names: code, CSS,
//! HTML, JSON, YAML, templates, and documents (an `<a href>` or a front-matter
//! key r2filter does not rewrite still needs the file).
//!
//! Every text file under the root is read once, honouring `.gitignore`
//! (hidden files too, `.git/` not). A file is named when its site path
//! (`/static/images/logo.png` for `public/static/images/logo.png`) or its path
//! relative to the naming file (`images/logo.png`, `../public/…`) appears in
//! it, raw or percent-encoded. The search runs on each candidate's file name
//! (Aho-Corasick, one pass per file) and looks back from each hit for the
//! paths, so it costs one read per file however many candidates there are.
//! It errs on the side of keeping: `x/images/logo.png` names
//! `images/logo.png` too.
//!
//! The walk also notes every symlink: a file a symlink points at (or lies
//! under) is never deleted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Files larger than this are not text worth searching (videos, archives).
const MAX_TEXT: u64 = 16 << 20;
/// Bytes looked at to tell text from binary (a NUL means binary).
const SNIFF: usize = 8192;

/// How a path is written in a URL: what `percent-encoding` escapes in a path.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Where a candidate is still named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    /// `file` (relative to the root) names it on `line`.
    Text { file: PathBuf, line: usize },
    /// The symlink `link` (relative to the root) points at it or a folder
    /// holding it.
    Symlink { link: PathBuf },
}

/// What to search for.
pub struct Search<'a> {
    /// Canonical.
    pub root: &'a Path,
    /// Canonical; a leading `/` means this folder (the root when None).
    pub site_root: Option<&'a Path>,
    /// Files never searched (the manifest and its lock and cache).
    pub skip: &'a [PathBuf],
}

/// The first mention of each of `candidates` (canonical paths under the
/// root), by index.
pub fn find(search: &Search, candidates: &[PathBuf]) -> BTreeMap<usize, Mention> {
    let mut found: BTreeMap<usize, Mention> = BTreeMap::new();
    let Some(names) = Names::new(search, candidates) else {
        return found;
    };
    let skip: HashSet<&Path> = search.skip.iter().map(PathBuf::as_path).collect();
    let walk = ignore::WalkBuilder::new(search.root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walk.flatten() {
        let Some(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_symlink() {
            note_symlink(search.root, path, candidates, &mut found);
        } else if kind.is_file()
            && !skip.contains(path)
            && let Some(text) = read_text(path)
        {
            names.search(search.root, path, &text, &mut found);
        }
        if found.len() == candidates.len() {
            break;
        }
    }
    found
}

/// What a text is searched for: each candidate's file name (raw and
/// percent-encoded) in one automaton, then its site path or relative path
/// before the name.
struct Names<'a> {
    candidates: &'a [PathBuf],
    ac: AhoCorasick,
    /// The candidates each pattern names.
    by_pattern: Vec<Vec<usize>>,
    /// Each candidate's site paths (`/static/a.png`), raw and encoded.
    site_paths: Vec<Vec<String>>,
}

impl<'a> Names<'a> {
    fn new(search: &Search, candidates: &'a [PathBuf]) -> Option<Names<'a>> {
        let mut patterns: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut by_pattern: Vec<Vec<usize>> = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            let Some(name) = c.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            for variant in variants(name) {
                let p = *index.entry(variant.clone()).or_insert_with(|| {
                    patterns.push(variant);
                    by_pattern.push(Vec::new());
                    patterns.len() - 1
                });
                if !by_pattern[p].contains(&i) {
                    by_pattern[p].push(i);
                }
            }
        }
        if patterns.is_empty() {
            return None;
        }
        let ac = AhoCorasick::new(&patterns).ok()?;
        let site_root = search.site_root.unwrap_or(search.root);
        let site_paths = candidates
            .iter()
            .map(|c| {
                c.strip_prefix(site_root)
                    .ok()
                    .and_then(slash_path)
                    .map(|p| variants(&format!("/{p}")))
                    .unwrap_or_default()
            })
            .collect();
        Some(Names {
            candidates,
            ac,
            by_pattern,
            site_paths,
        })
    }

    /// Records in `found` each candidate not found yet that `text` (the file
    /// at `path`) names.
    fn search(&self, root: &Path, path: &Path, text: &[u8], found: &mut BTreeMap<usize, Mention>) {
        let dir = path.parent().unwrap_or(root);
        let mut relative: HashMap<usize, Vec<String>> = HashMap::new();
        for hit in self.ac.find_overlapping_iter(text) {
            let before = &text[..hit.end()];
            for &c in &self.by_pattern[hit.pattern().as_usize()] {
                if found.contains_key(&c) {
                    continue;
                }
                let rel = relative.entry(c).or_insert_with(|| {
                    relative_path(dir, &self.candidates[c])
                        .map(|r| variants(&r))
                        .unwrap_or_default()
                });
                let named = self.site_paths[c]
                    .iter()
                    .chain(rel.iter())
                    .any(|p| before.ends_with(p.as_bytes()));
                if named {
                    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                    let file = path.strip_prefix(root).unwrap_or(path).into();
                    found.insert(c, Mention::Text { file, line });
                }
            }
        }
    }
}

/// A symlink that points at a candidate, or at a folder holding one.
fn note_symlink(
    root: &Path,
    link: &Path,
    candidates: &[PathBuf],
    found: &mut BTreeMap<usize, Mention>,
) {
    let Ok(target) = link.canonicalize() else {
        return;
    };
    for (i, c) in candidates.iter().enumerate() {
        if c.starts_with(&target) && !matches!(found.get(&i), Some(Mention::Symlink { .. })) {
            found.insert(
                i,
                Mention::Symlink {
                    link: link.strip_prefix(root).unwrap_or(link).into(),
                },
            );
        }
    }
}

/// The file's bytes when it is text (no NUL in its first bytes) and not huge.
fn read_text(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_TEXT {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    (!bytes[..bytes.len().min(SNIFF)].contains(&0)).then_some(bytes)
}

/// `s` as written and percent-encoded (when that differs).
fn variants(s: &str) -> Vec<String> {
    let encoded = utf8_percent_encode(s, PATH).to_string();
    if encoded == s {
        vec![s.to_string()]
    } else {
        vec![s.to_string(), encoded]
    }
}

fn slash_path(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The path from folder `from` to `to` (both absolute, canonical), with `..`
/// where it must climb.
pub(crate) fn relative_path(from: &Path, to: &Path) -> Option<String> {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    for c in &to_parts[common..] {
        parts.push(c.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let p = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(p("/s/posts", "/s/posts/img/a.png"), "img/a.png");
        assert_eq!(p("/s/posts/x", "/s/public/a.png"), "../../public/a.png");
        assert_eq!(p("/s", "/s/a.png"), "a.png");
    }

    #[test]
    fn names_found_by_site_path_relative_path_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let w = |rel: &str, text: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("public/static/images/logo.png", b"\x89PNG");
        w("public/static/images/unused.png", b"\x89PNG");
        w("posts/img/my shot.png", b"\x89PNG");
        w("posts/img/other.png", b"\x89PNG");
        w("posts/img/linked.png", b"\x89PNG");
        w(
            "data/site.js",
            b"export default {\n  logo: '/static/images/logo.png',\n}\n",
        );
        w("posts/layout.html", b"<img src=\"img/my%20shot.png\">\n");
        // Binary files and the skipped manifest name nothing.
        w("bin.dat", b"\0/static/images/unused.png");
        w("r2filter-manifest.json", b"\"posts/img/other.png\"");
        // A name that only looks alike does not count (other folder).
        w("notes.txt", b"see elsewhere/other.png\n");
        std::os::unix::fs::symlink(root.join("posts/img/linked.png"), root.join("link.png"))
            .unwrap();
        let candidates: Vec<PathBuf> = [
            "public/static/images/logo.png",
            "public/static/images/unused.png",
            "posts/img/my shot.png",
            "posts/img/other.png",
            "posts/img/linked.png",
        ]
        .iter()
        .map(|c| root.join(c))
        .collect();
        let search = Search {
            root: &root,
            site_root: Some(&root.join("public")),
            skip: &[root.join("r2filter-manifest.json")],
        };
        let found = find(&search, &candidates);
        assert_eq!(
            found,
            BTreeMap::from([
                (
                    0,
                    Mention::Text {
                        file: "data/site.js".into(),
                        line: 2
                    }
                ),
                (
                    2,
                    Mention::Text {
                        file: "posts/layout.html".into(),
                        line: 1
                    }
                ),
                (
                    4,
                    Mention::Symlink {
                        link: "link.png".into()
                    }
                ),
            ])
        );
    }
}
