//! Progress: hooks the pipeline calls as it goes ([`Progress`]), and the
//! terminal progress bar the command line shows with them ([`Bar`]).
//!
//! The hooks travel in [`crate::pipeline::Options`], so every front end (the
//! filter, batch mode, the mdBook preprocessor) gets progress by handing one
//! in; a front end that hands none in pays nothing.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// An indicatif bar on stderr: documents scanned, files hashed, then bytes
/// uploaded with the image count and an ETA. It clears itself when dropped, so
/// the summary line and any error stand alone afterwards.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    objects: AtomicUsize,
    done: AtomicUsize,
}

impl Bar {
    /// A bar on stderr — but only when stderr is a terminal and the run is not
    /// quiet: CI logs and pipes get the summary line alone, never redraw codes.
    pub fn for_stderr(quiet: bool) -> Option<Arc<Bar>> {
        (!quiet && std::io::stderr().is_terminal())
            .then(|| Arc::new(Bar::with_target(ProgressDrawTarget::stderr())))
    }

    fn with_target(target: ProgressDrawTarget) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), target);
        // A tick keeps the elapsed time and spinner moving during a slow HEAD.
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar {
            bar,
            objects: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }
    }

    fn count_style(&self, what: &'static str, len: usize) {
        // No colours in the templates: nothing to turn off for NO_COLOR.
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:9} [{bar:30}] {pos}/{len} {msg} {elapsed}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        self.bar.set_prefix(what);
        self.bar.set_message(if what == "scanning" {
            "documents"
        } else {
            "files"
        });
        self.bar.set_position(0);
        self.bar.set_length(len as u64);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn scanning(&self, documents: usize) {
        self.count_style("scanning", documents);
    }

    fn scanned(&self) {
        self.bar.inc(1);
    }

    fn hashing(&self, files: usize) {
        self.count_style("hashing", files);
    }

    fn hashed(&self) {
        self.bar.inc(1);
    }

    fn uploading(&self, objects: usize, bytes: u64) {
        self.objects.store(objects, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:9} [{bar:30}] {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        self.bar.set_prefix("uploading");
        self.bar.set_message(format!("0/{objects} images"));
        self.bar.set_position(0);
        self.bar.set_length(bytes);
        self.bar.reset_eta();
    }

    fn uploaded(&self, bytes: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let objects = self.objects.load(Ordering::Relaxed);
        self.bar.set_message(format!("{done}/{objects} images"));
        self.bar.inc(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_takes_every_hook() {
        let bar = Bar::with_target(ProgressDrawTarget::hidden());
        bar.scanning(2);
        bar.scanned();
        bar.hashing(1);
        bar.hashed();
        bar.uploading(2, 30);
        bar.uploaded(10);
        bar.uploaded(20);
        assert_eq!(bar.bar.position(), 30);
        assert_eq!(bar.bar.message(), "2/2 images");
    }
}
