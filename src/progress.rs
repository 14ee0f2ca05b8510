//! Progress hooks the pipeline calls as it goes ([`Progress`]). They travel
//! in [`crate::pipeline::Options`], so every front end (the filter, batch
//! mode, the mdBook preprocessor) gets progress by handing one in; a front
//! end that hands none in pays nothing. The terminal bar that shows them is
//! the command line's (`cli::progress`).

/// What the pipeline reports while it runs. Every method has an empty default,
/// so an implementation overrides only what it shows. Calls may come from
/// several threads at once.
pub trait Progress: Send + Sync {
    /// Scanning and resolving starts over `documents` documents.
    fn scanning(&self, _documents: usize) {}
    /// One more document was scanned and its references resolved.
    fn scanned(&self) {}
    /// Hashing starts over `files` distinct files.
    fn hashing(&self, _files: usize) {}
    /// One more file was hashed.
    fn hashed(&self) {}
    /// Uploading starts: `objects` distinct files the manifest lacks, `bytes`
    /// in all.
    fn uploading(&self, _objects: usize, _bytes: u64) {}
    /// One more object is in the bucket (sent now, or found there), `bytes` long.
    fn uploaded(&self, _bytes: u64) {}
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Progress")
    }
}

/// The hooks of a run that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
