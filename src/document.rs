//! A document to process: its text, the name messages give it, the folder its
//! relative image paths resolve against, and its flavor. It comes from a file
//! (batch mode), standard input (the filter) or an mdBook chapter.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use r2filter_text::scan::Flavor;

/// A document to process.
#[derive(Debug, Clone)]
pub struct Document {
    /// How errors name it: the path as given, or `<stdin>`.
    pub name: String,
    /// Relative image paths resolve against this folder.
    pub base_dir: PathBuf,
    pub text: String,
    pub flavor: Flavor,
}

/// Why a document (or the input around it) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not UTF-8 text (byte {offset})", .path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
}

impl ReadError {
    pub fn hint(&self) -> String {
        match self {
            ReadError::Io { .. } => "check the path".into(),
            ReadError::NotUtf8 { .. } => "save the document as UTF-8".into(),
        }
    }
}

impl Document {
    /// A document from its bytes, which must be UTF-8. `name` is how messages
    /// call it.
    pub fn from_bytes(
        name: &Path,
        base_dir: PathBuf,
        bytes: Vec<u8>,
        flavor: Flavor,
    ) -> Result<Document, ReadError> {
        let text = String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
            path: name.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        Ok(Document {
            name: name.to_string_lossy().into_owned(),
            base_dir,
            text,
            flavor,
        })
    }

    /// The file at `path`, named `name` in messages; its flavor from its
    /// extension, its relative images resolving against its own folder.
    pub fn read(name: &Path, path: &Path) -> Result<Document, ReadError> {
        let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
            path: name.to_path_buf(),
            source,
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Document::from_bytes(name, base_dir, bytes, Flavor::from_path(path))
    }

    /// Standard input as one document named `<stdin>`.
    pub fn stdin(base_dir: &Path, flavor: Flavor) -> Result<Document, ReadError> {
        let name = Path::new("<stdin>");
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| ReadError::Io {
                path: name.to_path_buf(),
                source,
            })?;
        Document::from_bytes(name, base_dir.to_path_buf(), bytes, flavor)
    }
}

/// Where the lines of a text start, to turn byte offsets into line and
/// column without counting from the top for every reference (the largest
/// cost of a warm run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(
                    text.bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect(),
        )
    }

    /// 1-based line and column (in characters) of byte `offset` of `text`
    /// (the text these lines were made from): as [`r2filter_text::scan::line_col`].
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.0.partition_point(|&start| start <= offset);
        let line_start = self.0[line - 1];
        (line, text[line_start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_line_col() {
        let text = "a\n\n截图 ![x](y.png)\r\nlast ![z](w.png)";
        let lines = Lines::new(text);
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            assert_eq!(
                lines.line_col(text, offset),
                r2filter_text::scan::line_col(text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn bytes_must_be_utf8() {
        let err = Document::from_bytes(
            Path::new("p.md"),
            ".".into(),
            b"ok\n\xff".to_vec(),
            Flavor::Markdown,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "p.md is not UTF-8 text (byte 3)");
    }
}
