//! The terminal progress bar ([`Bar`]) that shows the pipeline's
//! [`crate::progress::Progress`] hooks on stderr, and a writer that keeps
//! log lines from tearing it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;

/// An indicatif bar on stderr: documents scanned, files hashed, then bytes
/// uploaded with the image count and an ETA. It clears itself when dropped, so
/// the summary line and any error stand alone afterwards.
#[derive(Debug)]
pub struct Bar {
    /// The current phase's bar; each phase gets a new one (see [`Bar::phase`]).
    bar: Mutex<ProgressBar>,
    /// Draw on stderr (false in unit tests).
    visible: bool,
    objects: AtomicUsize,
    done: AtomicUsize,
}

const COUNT: &str = "{spinner} {prefix:9} [{bar:30}] {pos}/{len} {msg} {elapsed}";
const BYTES: &str = "{spinner} {prefix:9} [{bar:30}] {bytes}/{total_bytes} {msg} ETA {eta}";

impl Bar {
    /// A bar on stderr — but only when stderr is a terminal and the run is not
    /// quiet: CI logs and pipes get the summary line alone, never redraw codes.
    /// (indicatif also stays silent when `TERM` is unset or `dumb`.)
    pub fn for_stderr(quiet: bool) -> Option<Arc<Bar>> {
        (!quiet && std::io::stderr().is_terminal()).then(|| Arc::new(Bar::new(true)))
    }

    fn new(visible: bool) -> Bar {
        Bar {
            bar: Mutex::new(ProgressBar::hidden()),
            visible,
            objects: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }
    }

    fn current(&self) -> ProgressBar {
        self.bar.lock().expect("no panic while locked").clone()
    }

    /// Starts a phase with a bar of its own, built complete before its first
    /// draw (one bar restyled setter by setter would draw half-set states), after
    /// clearing the last phase's line.
    fn phase(&self, template: &str, prefix: &'static str, message: String, len: u64) {
        let target = if self.visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        // No colours in the templates: nothing to turn off for NO_COLOR.
        let style = ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> ");
        let next = ProgressBar::with_draw_target(Some(len), target)
            .with_style(style)
            .with_prefix(prefix)
            .with_message(message);
        let mut bar = self.bar.lock().expect("no panic while locked");
        bar.finish_and_clear();
        // A tick keeps the spinner and clock moving during a slow request.
        next.enable_steady_tick(Duration::from_millis(120));
        if self.visible {
            *SHOWN.lock().expect("no panic while locked") = Some(next.clone());
        }
        *bar = next;
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.current().finish_and_clear();
        if self.visible {
            *SHOWN.lock().expect("no panic while locked") = None;
        }
    }
}

/// The bar on screen, if any, so that log lines can step around it.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Standard error for log lines: while a bar is on screen, each write clears
/// it, prints, and redraws it below, instead of landing in the middle of it.
/// Give it to `tracing_subscriber::fmt().with_writer(...)`.
pub fn stderr_writer() -> StderrAroundBar {
    StderrAroundBar
}

/// See [`stderr_writer`].
#[derive(Debug)]
pub struct StderrAroundBar;

impl std::io::Write for StderrAroundBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let shown = SHOWN.lock().expect("no panic while locked").clone();
        match shown {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // One suspension for the whole event, not one per partial write.
        let shown = SHOWN.lock().expect("no panic while locked").clone();
        match shown {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf)),
            None => std::io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl Progress for Bar {
    fn scanning(&self, documents: usize) {
        self.phase(COUNT, "scanning", "documents".into(), documents as u64);
    }

    fn scanned(&self) {
        self.current().inc(1);
    }

    fn hashing(&self, files: usize) {
        self.phase(COUNT, "hashing", "files".into(), files as u64);
    }

    fn hashed(&self) {
        self.current().inc(1);
    }

    fn uploading(&self, objects: usize, bytes: u64) {
        self.objects.store(objects, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.phase(BYTES, "uploading", format!("0/{objects} images"), bytes);
    }

    fn uploaded(&self, bytes: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let objects = self.objects.load(Ordering::Relaxed);
        let bar = self.current();
        bar.inc(bytes);
        bar.set_message(format!("{done}/{objects} images"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_takes_every_hook() {
        let bar = Bar::new(false);
        bar.scanning(2);
        bar.scanned();
        bar.hashing(1);
        bar.hashed();
        bar.uploading(2, 30);
        bar.uploaded(10);
        bar.uploaded(20);
        assert_eq!(bar.current().position(), 30);
        assert_eq!(bar.current().message(), "2/2 images");
    }
}
