//! The locate phase, second half: find the file a local path names (from
//! [`r2filter_text::resolve::classify`]), confined to `root`.
//!
//! A document is untrusted input (think of a pull request): it may only make the
//! tool read image files inside `root`. `../`, `%2e%2e`, backslashes and
//! symlinks that leave `root` are refused from the path alone, before any byte of
//! the file is read.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use r2filter_text::resolve::IMAGE_EXTENSIONS;

/// Why a local path could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("image path {path:?} leaves the root folder {root}")]
    OutsideRoot { path: String, root: PathBuf },
    #[error("image path {path:?} contains a backslash or NUL")]
    BadCharacter { path: String },
    #[error("image file not found: {path:?} (looked for {})", display_paths(.tried))]
    NotFound {
        path: String,
        tried: Vec<PathBuf>,
        /// A file with nearly the same name (other case or extension), relative to
        /// the folder looked in.
        suggestion: Option<String>,
    },
    #[error("{path:?} is {what}, not an image file")]
    NotAFile { path: String, what: &'static str },
    /// An Obsidian embed whose name ends more than one file's path.
    #[error("the embed {link:?} names {} files: {} (Obsidian would show one of them)", .candidates.len(), display_paths(.candidates))]
    Ambiguous {
        link: String,
        /// Relative to the root, sorted.
        candidates: Vec<PathBuf>,
    },
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl ResolveError {
    pub fn hint(&self) -> String {
        match self {
            ResolveError::OutsideRoot { .. } => "only files inside the root can be published; move the image inside it or set --root / `root`".into(),
            ResolveError::BadCharacter { .. } => "write paths with forward slashes".into(),
            ResolveError::NotFound { suggestion: Some(s), .. } => format!("did you mean {s:?}?"),
            ResolveError::NotFound { .. } => "fix the path, add the file, or set on-missing to warn (`--on-missing warn`, or `on-missing = \"warn\"` in the config) to keep the link as it is".into(),
            ResolveError::NotAFile { .. } => "point the reference at an image file".into(),
            ResolveError::Ambiguous { candidates, .. } => format!(
                "write more of the path so that one file matches (for example ![[{}]])",
                candidates.first().map_or(String::new(), |c| c.display().to_string())
            ),
        }
    }
}

/// Finds files for local paths.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// Canonical root: nothing outside it is ever read.
    pub root: PathBuf,
    /// Where a leading `/` points (`public/`, mdBook's `src/`); defaults to root.
    pub site_root: PathBuf,
    /// Further folders to look in after the document's own (the `images/` habit).
    pub image_dirs: Vec<PathBuf>,
    /// Folders already canonicalized in this run (`None`: it does not exist).
    /// Thousands of references share a few folders; canonicalizing each
    /// reference's full path costs a readlink per component, per reference.
    dirs: Arc<Mutex<HashMap<PathBuf, Option<PathBuf>>>>,
    /// Obsidian vaults met in this run, by root ([`Resolver::resolve_wikilink`]).
    vaults: Arc<Mutex<HashMap<PathBuf, Arc<vault::Vault>>>>,
}

impl Resolver {
    /// `root`, `site_root` and `image_dirs` must be absolute; they are
    /// canonicalized here.
    pub fn new(
        root: &Path,
        site_root: Option<&Path>,
        image_dirs: &[PathBuf],
    ) -> std::io::Result<Resolver> {
        let root = root.canonicalize()?;
        let site_root = match site_root {
            Some(s) => s.canonicalize()?,
            None => root.clone(),
        };
        let image_dirs = image_dirs
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .collect();
        Ok(Resolver {
            root,
            site_root,
            image_dirs,
            dirs: Arc::default(),
            vaults: Arc::default(),
        })
    }

    /// `dir` canonicalized, remembered for the rest of the run.
    pub fn canonical_dir(&self, dir: &Path) -> Option<PathBuf> {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        dirs.entry(dir.to_path_buf())
            .or_insert_with(|| dir.canonicalize().ok())
            .clone()
    }

    /// The real path of the lexical (normalized, absolute) `path`: its folder
    /// from the run's cache, then one `lstat` of the name; a symlink is
    /// followed the slow way. Also says whether it is a regular file.
    fn real_path(&self, path: &Path) -> std::io::Result<(PathBuf, bool)> {
        let not_found = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            let real = path.canonicalize()?;
            let is_file = real.is_file();
            return Ok((real, is_file));
        };
        let real = self.canonical_dir(dir).ok_or_else(not_found)?.join(name);
        let meta = std::fs::symlink_metadata(&real)?;
        if meta.file_type().is_symlink() {
            let real = real.canonicalize()?;
            let is_file = real.is_file();
            return Ok((real, is_file));
        }
        Ok((real, meta.is_file()))
    }

    /// The file `path` (decoded, from [`r2filter_text::resolve::classify`]) names for a document in
    /// `base_dir` (absolute, canonical).
    pub fn resolve(&self, base_dir: &Path, path: &str) -> Result<PathBuf, ResolveError> {
        if path.contains(['\\', '\0']) {
            return Err(ResolveError::BadCharacter { path: path.into() });
        }
        if path.len() > 1 && path.as_bytes()[1] == b':' {
            // `C:/…`: an absolute Windows path.
            return Err(self.outside(path));
        }
        let candidates: Vec<PathBuf> = match path.strip_prefix('/') {
            Some(rel) => vec![self.site_root.join(rel)],
            None => std::iter::once(base_dir)
                .chain(self.image_dirs.iter().map(PathBuf::as_path))
                .map(|dir| dir.join(path))
                .collect(),
        };
        let mut tried = Vec::new();
        for candidate in candidates {
            if let Some(real) = self.try_file(&candidate, path, &mut tried)? {
                return Ok(real);
            }
        }
        Err(self.not_found(path, &tried))
    }

    /// The file at `candidate` (named `path` in messages), confined to the
    /// root and a regular file; `Ok(None)` (and `candidate` noted in
    /// `tried`) when there is none.
    fn try_file(
        &self,
        candidate: &Path,
        path: &str,
        tried: &mut Vec<PathBuf>,
    ) -> Result<Option<PathBuf>, ResolveError> {
        // Refuse by the path alone first: `..` never gets to the file system.
        let lexical = normalize(candidate);
        if !lexical.starts_with(&self.root) {
            return Err(self.outside(path));
        }
        let Ok((real, is_file)) = self.real_path(&lexical) else {
            tried.push(lexical);
            return Ok(None);
        };
        // A symlink may point out of the root.
        if !real.starts_with(&self.root) {
            return Err(self.outside(path));
        }
        // By type, before any open: opening a FIFO blocks until a writer
        // comes, and a device can be endless.
        if !is_file {
            return Err(ResolveError::NotAFile {
                path: path.into(),
                what: file_kind(&real),
            });
        }
        Ok(Some(real))
    }

    /// `path` is nowhere among `tried` (shown relative to the root).
    fn not_found(&self, path: &str, tried: &[PathBuf]) -> ResolveError {
        ResolveError::NotFound {
            path: path.into(),
            tried: tried.iter().map(|t| self.relative(t)).collect(),
            suggestion: tried.first().and_then(|p| near_miss(p)),
        }
    }

    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// The file an Obsidian embed's link (`![[link]]`, decoded) names for a
    /// note in `base_dir`, found the way Obsidian finds it: a link starting
    /// with `./` or `../` relative to the note; any other, the path from the
    /// vault's root (the nearest folder holding `.obsidian/`, else the root),
    /// then from the note's folder, then from the attachment folder of
    /// `.obsidian/app.json` (`attachmentFolderPath`), then the one image file
    /// of the vault whose path ends with the link (case-insensitively, as
    /// Obsidian matches; an exact-case match wins). Several such files are
    /// an error naming them, unless exactly one of them is in the
    /// attachment folder.
    pub fn resolve_wikilink(&self, base_dir: &Path, link: &str) -> Result<PathBuf, ResolveError> {
        if link.contains(['\\', '\0']) {
            return Err(ResolveError::BadCharacter { path: link.into() });
        }
        if link.len() > 1 && link.as_bytes()[1] == b':' {
            return Err(self.outside(link));
        }
        let vault = self.vault_for(base_dir);
        let relative = link.starts_with("./") || link.starts_with("../");
        let rel = link.trim_start_matches('/');
        let attachments = vault.attachment_dir(base_dir);
        let candidates: Vec<PathBuf> = if relative {
            vec![base_dir.join(link)]
        } else {
            let mut c = vec![vault.root.join(rel), base_dir.join(rel)];
            c.extend(attachments.as_ref().map(|a| a.join(rel)));
            c
        };
        let mut tried = Vec::new();
        for candidate in &candidates {
            if let Some(real) = self.try_file(candidate, link, &mut tried)? {
                return Ok(real);
            }
        }
        if relative {
            return Err(self.not_found(link, &tried));
        }
        let found = vault.ending_with(rel, attachments.as_deref());
        match found.as_slice() {
            [] => Err(self.not_found(link, &tried)),
            [one] => self
                .try_file(one, link, &mut tried)?
                .ok_or_else(|| self.not_found(link, &tried)),
            many => Err(ResolveError::Ambiguous {
                link: link.into(),
                candidates: many.iter().map(|c| self.relative(c)).collect(),
            }),
        }
    }

    /// The vault `base_dir` is in, indexed once per run.
    fn vault_for(&self, base_dir: &Path) -> Arc<vault::Vault> {
        let root = base_dir
            .ancestors()
            .take_while(|d| d.starts_with(&self.root))
            .find(|d| d.join(".obsidian").is_dir())
            .unwrap_or(&self.root)
            .to_path_buf();
        let mut vaults = self.vaults.lock().unwrap_or_else(|e| e.into_inner());
        vaults
            .entry(root.clone())
            .or_insert_with(|| Arc::new(vault::Vault::index(root)))
            .clone()
    }

    fn outside(&self, path: &str) -> ResolveError {
        ResolveError::OutsideRoot {
            path: path.into(),
            root: self.root.clone(),
        }
    }
}

/// What a path that is not a regular file is, for the error message.
fn file_kind(path: &Path) -> &'static str {
    let Ok(t) = std::fs::metadata(path).map(|m| m.file_type()) else {
        return "not a regular file";
    };
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "not a regular file (a FIFO)";
        }
        if t.is_socket() {
            return "not a regular file (a socket)";
        }
        if t.is_block_device() || t.is_char_device() {
            return "not a regular file (a device)";
        }
    }
    "not a regular file"
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A sibling of the missing `path` with the same name in another case, or the
/// same stem with another image extension.
fn near_miss(path: &Path) -> Option<String> {
    let dir = path.parent()?;
    let name = path.file_name()?.to_str()?.to_lowercase();
    let stem = path.file_stem()?.to_str()?.to_lowercase();
    let mut best: Option<String> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten().take(10_000) {
        let Ok(other) = entry.file_name().into_string() else {
            continue;
        };
        let lower = other.to_lowercase();
        let other_stem = Path::new(&lower)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        if lower == name {
            return Some(other);
        }
        let other_ext = Path::new(&lower)
            .extension()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        if other_stem == stem && IMAGE_EXTENSIONS.contains(&other_ext) && best.is_none() {
            best = Some(other);
        }
    }
    best
}

/// An Obsidian vault: its attachment folder setting and its image files.
mod vault {
    use std::path::{Path, PathBuf};

    use r2filter_text::resolve::IMAGE_EXTENSIONS;

    /// A vault larger than this is indexed this far (a guard against a
    /// root that is a whole disk).
    const MAX_ENTRIES: usize = 1_000_000;

    #[derive(Debug)]
    pub(super) struct Vault {
        pub(super) root: PathBuf,
        /// `attachmentFolderPath` from `.obsidian/app.json`, if set.
        attachments: Option<String>,
        /// Every image file (by extension), relative to the root with `/`
        /// between parts, sorted.
        images: Vec<String>,
    }

    impl Vault {
        /// Reads the settings and lists the images of the vault at `root`;
        /// hidden files and folders (`.obsidian`, `.git`, `.trash`) are
        /// not part of a vault, and folder symlinks are not followed.
        pub(super) fn index(root: PathBuf) -> Vault {
            let attachments = std::fs::read(root.join(".obsidian/app.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v.get("attachmentFolderPath")?.as_str().map(str::to_string));
            let mut images = Vec::new();
            let mut todo = vec![root.clone()];
            let mut seen = 0usize;
            while let Some(dir) = todo.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    seen += 1;
                    if seen > MAX_ENTRIES {
                        break;
                    }
                    let name = entry.file_name();
                    let Some(name) = name.to_str().filter(|n| !n.starts_with('.')) else {
                        continue;
                    };
                    let path = dir.join(name);
                    match entry.file_type() {
                        Ok(t) if t.is_dir() => todo.push(path),
                        Ok(_) if is_image(name) => {
                            if let Ok(rel) = path.strip_prefix(&root) {
                                let parts: Option<Vec<&str>> =
                                    rel.components().map(|c| c.as_os_str().to_str()).collect();
                                images.extend(parts.map(|p| p.join("/")));
                            }
                        }
                        _ => {}
                    }
                }
            }
            images.sort();
            Vault {
                root,
                attachments,
                images,
            }
        }

        /// Where Obsidian puts a new attachment of a note in `note_dir`:
        /// `/` the vault's root, `./` the note's folder, `./sub` a folder
        /// below it, `sub` a folder of the vault. None when unset.
        pub(super) fn attachment_dir(&self, note_dir: &Path) -> Option<PathBuf> {
            let setting = self.attachments.as_deref()?.trim();
            Some(match setting.strip_prefix("./") {
                Some(sub) => note_dir.join(sub),
                None if setting == "." => note_dir.to_path_buf(),
                None => self.root.join(setting.trim_start_matches('/')),
            })
        }

        /// The images whose path ends with `link` (whole parts), exact case
        /// first, else ignoring case; of several, the one in `attachments`
        /// when only one is there.
        pub(super) fn ending_with(&self, link: &str, attachments: Option<&Path>) -> Vec<PathBuf> {
            let ends = |p: &str, l: &str| {
                p == l || (p.ends_with(l) && p.as_bytes().get(p.len() - l.len() - 1) == Some(&b'/'))
            };
            let mut found: Vec<&String> = self.images.iter().filter(|p| ends(p, link)).collect();
            if found.is_empty() {
                let lower = link.to_lowercase();
                found = self
                    .images
                    .iter()
                    .filter(|p| ends(&p.to_lowercase(), &lower))
                    .collect();
            }
            let found: Vec<PathBuf> = found.into_iter().map(|p| self.root.join(p)).collect();
            if found.len() > 1
                && let Some(dir) = attachments
            {
                let there: Vec<&PathBuf> = found
                    .iter()
                    .filter(|p| {
                        p.parent()
                            .is_some_and(|d| super::normalize(d) == super::normalize(dir))
                    })
                    .collect();
                if let [one] = there.as_slice() {
                    return vec![(*one).clone()];
                }
            }
            found
        }
    }

    fn is_image(name: &str) -> bool {
        Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Site {
        _dir: tempfile::TempDir,
        root: PathBuf,
        resolver: Resolver,
    }

    fn site() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        fs::create_dir_all(root.join("posts/images")).unwrap();
        fs::create_dir_all(root.join("public/static")).unwrap();
        fs::create_dir_all(root.join("shared")).unwrap();
        fs::write(root.join("posts/a.png"), b"x").unwrap();
        fs::write(root.join("posts/Shot.PNG"), b"x").unwrap();
        fs::write(root.join("shared/s.png"), b"x").unwrap();
        fs::write(root.join("public/static/p.png"), b"x").unwrap();
        fs::write(dir.path().join("secret.png"), b"x").unwrap();
        let root = root.canonicalize().unwrap();
        let resolver =
            Resolver::new(&root, Some(&root.join("public")), &[root.join("shared")]).unwrap();
        Site {
            _dir: dir,
            root,
            resolver,
        }
    }

    #[test]
    fn relative_site_root_and_image_dirs() {
        let s = site();
        let posts = s.root.join("posts");
        assert_eq!(
            s.resolver.resolve(&posts, "a.png").unwrap(),
            posts.join("a.png")
        );
        assert_eq!(
            s.resolver.resolve(&posts, "./images/../a.png").unwrap(),
            posts.join("a.png")
        );
        assert_eq!(
            s.resolver.resolve(&posts, "/static/p.png").unwrap(),
            s.root.join("public/static/p.png")
        );
        assert_eq!(
            s.resolver.resolve(&posts, "s.png").unwrap(),
            s.root.join("shared/s.png")
        );
    }

    #[test]
    fn traversal_is_refused_before_reading() {
        let s = site();
        let posts = s.root.join("posts");
        for p in [
            "../../secret.png",
            "../../../../../../etc/passwd",
            "/../../secret.png",
            "C:/secret.png",
        ] {
            assert!(
                matches!(
                    s.resolver.resolve(&posts, p),
                    Err(ResolveError::OutsideRoot { .. })
                ),
                "{p}"
            );
        }
        assert!(matches!(
            s.resolver.resolve(&posts, "..\\..\\secret.png"),
            Err(ResolveError::BadCharacter { .. })
        ));
    }

    #[test]
    fn symlink_escaping_root_is_refused() {
        let s = site();
        let posts = s.root.join("posts");
        std::os::unix::fs::symlink(
            s.root.parent().unwrap().join("secret.png"),
            posts.join("link.png"),
        )
        .unwrap();
        assert!(matches!(
            s.resolver.resolve(&posts, "link.png"),
            Err(ResolveError::OutsideRoot { .. })
        ));
        std::os::unix::fs::symlink(posts.join("a.png"), posts.join("inside.png")).unwrap();
        assert_eq!(
            s.resolver.resolve(&posts, "inside.png").unwrap(),
            posts.join("a.png")
        );
    }

    #[test]
    fn missing_file_suggests_near_miss() {
        let s = site();
        let posts = s.root.join("posts");
        match s.resolver.resolve(&posts, "shot.png") {
            Err(ResolveError::NotFound {
                suggestion, tried, ..
            }) => {
                assert_eq!(suggestion.as_deref(), Some("Shot.PNG"));
                assert_eq!(tried[0], Path::new("posts/shot.png"));
            }
            other => panic!("{other:?}"),
        }
        match s.resolver.resolve(&posts, "a.jpg") {
            Err(ResolveError::NotFound { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("a.png"))
            }
            other => panic!("{other:?}"),
        }
    }

    /// A vault: `.obsidian/app.json` with `attachmentFolderPath`, notes in
    /// folders, images with the same name in two places.
    fn vault(attachments: Option<&str>) -> Site {
        let s = site();
        let v = s.root.join("vault");
        for dir in [".obsidian", "notes/deep", "attachments", "other", ".trash"] {
            fs::create_dir_all(v.join(dir)).unwrap();
        }
        if let Some(a) = attachments {
            let json = format!("{{\"attachmentFolderPath\": {a:?}}}");
            fs::write(v.join(".obsidian/app.json"), json).unwrap();
        }
        for f in [
            "top.png",
            "notes/near.png",
            "notes/deep/Case.PNG",
            "attachments/shared.png",
            "other/shared.png",
            "attachments/only.png",
            ".trash/only.png",
        ] {
            fs::write(v.join(f), b"x").unwrap();
        }
        s
    }

    #[test]
    fn wikilinks_resolve_as_obsidian_does() {
        let s = vault(None);
        let v = s.root.join("vault");
        let note = v.join("notes/deep");
        let r = |link: &str| s.resolver.resolve_wikilink(&note, link);
        // From the vault's root, then the note's folder, then by name.
        assert_eq!(r("top.png").unwrap(), v.join("top.png"));
        assert_eq!(r("notes/near.png").unwrap(), v.join("notes/near.png"));
        assert_eq!(r("Case.PNG").unwrap(), note.join("Case.PNG"));
        assert_eq!(r("near.png").unwrap(), v.join("notes/near.png"));
        assert_eq!(r("deep/case.png").unwrap(), note.join("Case.PNG"));
        // Hidden folders are not part of the vault.
        assert_eq!(r("only.png").unwrap(), v.join("attachments/only.png"));
        assert_eq!(r("../near.png").unwrap(), v.join("notes/near.png"));
        assert_eq!(r("/top.png").unwrap(), v.join("top.png"));
        match r("shared.png") {
            Err(ResolveError::Ambiguous { link, candidates }) => {
                assert_eq!(link, "shared.png");
                assert_eq!(
                    candidates,
                    [
                        Path::new("vault/attachments/shared.png"),
                        Path::new("vault/other/shared.png")
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(r("nope.png"), Err(ResolveError::NotFound { .. })));
        assert!(matches!(r("ar.png"), Err(ResolveError::NotFound { .. })));
        for bad in ["../../../../secret.png", "../../../../../etc/passwd.png"] {
            assert!(
                matches!(r(bad), Err(ResolveError::OutsideRoot { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_attachment_folder_settles_a_tie_and_is_looked_in() {
        let s = vault(Some("attachments"));
        let v = s.root.join("vault");
        let note = v.join("notes");
        assert_eq!(
            s.resolver.resolve_wikilink(&note, "shared.png").unwrap(),
            v.join("attachments/shared.png")
        );
        // `./sub`: below the note's own folder.
        let s = vault(Some("./deep"));
        let v = s.root.join("vault");
        assert_eq!(
            s.resolver
                .resolve_wikilink(&v.join("notes"), "Case.PNG")
                .unwrap(),
            v.join("notes/deep/Case.PNG")
        );
    }

    #[test]
    fn directory_is_not_a_file() {
        let s = site();
        assert!(matches!(
            s.resolver.resolve(&s.root, "posts/images"),
            Err(ResolveError::NotAFile { .. })
        ));
    }
}
