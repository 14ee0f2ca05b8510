//! Everything the command line says, in one place: the [`Printer`] decides
//! what reaches stderr (quiet, verbose, the summary line), writes stdout, runs
//! the pipeline behind the progress bar, and prints an error once, at the
//! exit ([`exit`]).

use std::fmt::Display;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use super::progress::Bar;
use crate::error::Error;
use crate::pipeline::{Options, Summary};
use crate::progress::Progress;

/// What a run prints on stderr, by the `-q` and `-v` flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    /// Errors only.
    pub quiet: bool,
    /// Also the details (each file written).
    pub verbose: bool,
}

impl Printer {
    pub fn new(quiet: bool, verbose: u8) -> Printer {
        Printer {
            quiet,
            verbose: verbose > 0 && !quiet,
        }
    }

    /// `line` on stderr, unless quiet.
    pub fn say(&self, line: impl Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// `r2filter: {message}` on stderr, unless quiet.
    pub fn note(&self, message: impl Display) {
        self.say(format_args!("r2filter: {message}"));
    }

    /// `r2filter: {message}`, with `-v` only.
    pub fn detail(&self, message: impl Display) {
        if self.verbose {
            self.note(message);
        }
    }

    /// The line that ends every run.
    pub fn summary(&self, summary: &Summary) {
        self.note(summary);
    }

    /// `text` on stderr whatever `-q` says (the plan of a dry run when stdout
    /// belongs to mdBook).
    pub fn stderr(&self, text: &str) {
        eprint!("{text}");
    }

    /// An error, rendered once for a person (whatever `-q` says).
    pub fn error(&self, e: &Error) {
        eprint!("{}", e.render());
    }

    /// `bytes` on stdout, flushed: the document, the plan or mdBook's JSON.
    pub fn stdout(&self, bytes: &[u8]) -> Result<(), Error> {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .map_err(|source| Error::Output {
                path: "<stdout>".into(),
                source,
            })
    }

    /// Runs `run` with the pipeline options for `dry_run` and `offline`, and
    /// a progress bar on stderr when it is a terminal and the run is not
    /// quiet. The bar is gone (its line cleared) when this returns, before
    /// any summary or error is printed.
    pub fn with_progress<R>(
        &self,
        dry_run: bool,
        offline: bool,
        run: impl FnOnce(Options) -> R,
    ) -> R {
        let bar = Bar::for_stderr(self.quiet);
        let opts = Options {
            dry_run,
            offline,
            progress: bar.clone().map(|b| b as Arc<dyn Progress>),
        };
        // The options hold the only other handle: the bar drops with them.
        let result = run(opts);
        drop(bar);
        result
    }
}

/// The one exit of both binaries: success, or the error printed once and its
/// status (1 or 2) as the process's.
pub fn exit(printer: &Printer, result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            printer.error(&e);
            e.exit_status().into()
        }
    }
}
