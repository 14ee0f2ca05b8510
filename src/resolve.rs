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
            // Refuse by the path alone first: `..` never gets to the file system.
            let lexical = normalize(&candidate);
            if !lexical.starts_with(&self.root) {
                return Err(self.outside(path));
            }
            match self.real_path(&lexical) {
                Ok((real, is_file)) => {
                    // A symlink may point out of the root.
                    if !real.starts_with(&self.root) {
                        return Err(self.outside(path));
                    }
                    // By type, before any open: opening a FIFO blocks until a
                    // writer comes, and a device can be endless.
                    if !is_file {
                        return Err(ResolveError::NotAFile {
                            path: path.into(),
                            what: file_kind(&real),
                        });
                    }
                    return Ok(real);
                }
                Err(_) => tried.push(lexical),
            }
        }
        let suggestion = tried.first().and_then(|p| near_miss(p));
        Err(ResolveError::NotFound {
            path: path.into(),
            tried: tried
                .iter()
                .map(|t| {
                    t.strip_prefix(&self.root)
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|_| t.clone())
                })
                .collect(),
            suggestion,
        })
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

    #[test]
    fn directory_is_not_a_file() {
        let s = site();
        assert!(matches!(
            s.resolver.resolve(&s.root, "posts/images"),
            Err(ResolveError::NotAFile { .. })
        ));
    }
}
