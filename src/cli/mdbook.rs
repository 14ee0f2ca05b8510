//! `r2filter mdbook` and the `mdbook-r2filter` binary: mdBook's preprocessor
//! protocol around [`crate::ops::mdbook::R2filter`], which implements
//! [`mdbook_preprocessor::Preprocessor`].
//!
//! mdBook first runs `CMD supports RENDERER` (exit 0: yes — r2filter only
//! changes URLs, so every renderer is supported), then pipes `[context, book]`
//! JSON into `CMD` and reads the book back from standard output. Standard
//! output carries that JSON and nothing else; logs, warnings, the plan of a
//! dry run and the summary go to standard error, which mdBook passes through.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{Cli, Printer, init_logging};
use crate::cli::report;
use crate::config::Settings;
use crate::document::ReadError;
use crate::error::Error;
use crate::ops::mdbook::{Processed, R2filter};
use crate::store::StoreError;

/// Runs r2filter as an mdBook preprocessor: put `[preprocessor.r2filter]` in
/// book.toml; mdBook then runs it on every build.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "mdbook-r2filter", version)]
pub struct MdbookArgs {
    #[command(subcommand)]
    pub command: Option<MdbookCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MdbookCommand {
    /// Exit 0 when RENDERER is supported (every renderer is)
    Supports { renderer: String },
}

/// What the top-level command line adds (`r2filter --offline mdbook`).
#[derive(Debug, Clone, Default)]
pub struct Outer {
    pub settings: Settings,
    pub offline: bool,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
}

impl Outer {
    pub fn from_cli(args: &Cli) -> Outer {
        Outer {
            settings: args.config.settings.clone(),
            offline: args.offline,
            dry_run: args.dry_run,
            report: args.report.clone(),
        }
    }
}

/// `mdbook-r2filter`: runs the preprocessor; returns the process exit code.
///
/// mdBook starts it twice per build (`supports`, then the run), so it is
/// lean: built without the `s3` feature, it links no S3 client and no HTTP
/// client. A build whose images are all in the manifest, a dry run, an
/// offline run or a local store never needs one; a build that must upload to
/// S3 or adopt remote images is handed, with the input as it came, to
/// `r2filter mdbook` (beside this program, or on PATH), which does the whole
/// run itself.
pub fn main_with(args: &MdbookArgs) -> std::process::ExitCode {
    if let Some(MdbookCommand::Supports { .. }) = args.command {
        return std::process::ExitCode::SUCCESS;
    }
    init_logging(false, 0);
    let printer = Printer::default();
    let mut input = Vec::new();
    let result = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut input)
        .map_err(|source| {
            Error::Read(ReadError::Io {
                path: "<stdin>".into(),
                source,
            })
        })
        .and_then(|_| run_from(args, Outer::default(), &printer, &input[..]));
    match result {
        Ok(Ran::NeedsNetwork) => delegate(&input, &printer),
        result => super::exit(&printer, result.map(drop)),
    }
}

/// Runs `r2filter mdbook` on `input`, passing its output and exit code
/// through.
fn delegate(input: &[u8], printer: &Printer) -> std::process::ExitCode {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let beside = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(format!("r2filter{}", std::env::consts::EXE_SUFFIX)))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| "r2filter".into());
    tracing::debug!(
        "uploads or downloads needed: handing the book to {}",
        program.display()
    );
    let child = Command::new(&program)
        .arg("mdbook")
        .stdin(Stdio::piped())
        .spawn();
    let status = child.and_then(|mut child| {
        let mut stdin = child.stdin.take().expect("piped");
        // An error writing means the child exited early: its status says why.
        let _ = stdin.write_all(input);
        drop(stdin);
        child.wait()
    });
    match status {
        Ok(status) => std::process::ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            printer.stderr(&format!(
                "error: this book has images to upload or adopt, and {} could not be started: {e}\n  = hint: mdbook-r2filter hands uploads and downloads to the `r2filter` program: install it beside mdbook-r2filter or on PATH (`cargo install r2filter mdbook-r2filter` puts both in ~/.cargo/bin), or set `command = \"r2filter mdbook\"` in book.toml\n",
                program.display()
            ));
            std::process::ExitCode::FAILURE
        }
    }
}

/// `supports RENDERER`, or `[context, book]` on stdin → book on stdout.
pub fn run(args: &MdbookArgs, outer: Outer, printer: &Printer) -> Result<(), Error> {
    match run_from(args, outer, printer, std::io::stdin().lock())? {
        Ran::Done => Ok(()),
        Ran::NeedsNetwork => Err(Error::StoreOpen(StoreError::NoS3Client)),
    }
}

/// How [`run_from`] ended.
enum Ran {
    /// The book is on stdout.
    Done,
    /// Nothing was written: the book must be handed to a build with the network.
    NeedsNetwork,
}

/// [`run`] with the input read from `input`.
fn run_from(
    args: &MdbookArgs,
    outer: Outer,
    printer: &Printer,
    input: impl std::io::Read,
) -> Result<Ran, Error> {
    if let Some(MdbookCommand::Supports { .. }) = args.command {
        return Ok(Ran::Done);
    }
    let result = match process(&outer, printer, input) {
        Ok(Processed::NeedsNetwork) => return Ok(Ran::NeedsNetwork),
        Ok(Processed::Done(book, outcome, site)) => Ok((book, outcome, site)),
        Err(e) => Err(e),
    };
    super::write_report_file(
        outer.report.as_deref(),
        printer,
        (
            result.as_ref().map(|(_, o, _)| &**o),
            result.as_ref().ok().map(|(_, _, site)| &**site),
        ),
        outer.dry_run,
        outer.offline,
    )?;
    let (book, outcome, _) = result?;
    if outer.dry_run {
        // stdout belongs to mdBook: the plan goes to stderr, the book unchanged.
        printer.stderr(&report::plan(&outcome.records));
    }
    let json = serde_json::to_vec(&book).expect("a book serializes");
    printer.stdout(&json)?;
    printer.summary(&outcome.summary);
    Ok(Ran::Done)
}

/// Reads mdBook's input and configuration, and runs the whole book through
/// the preprocessor, behind the progress bar: mdBook passes its terminal
/// through as our stderr, so a cold build of a big book shows progress.
fn process(
    outer: &Outer,
    printer: &Printer,
    input: impl std::io::Read,
) -> Result<Processed, Error> {
    let cwd = super::cwd()?;
    let (ctx, book) = mdbook_preprocessor::parse_input(input).map_err(|e| ReadError::Io {
        path: "<stdin>".into(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{e:#} (expected mdBook's [context, book] JSON: run me from mdBook)"),
        ),
    })?;
    if !same_minor(&ctx.mdbook_version, mdbook_preprocessor::MDBOOK_VERSION) {
        tracing::warn!(
            "built for mdBook {}, called by mdBook {}",
            mdbook_preprocessor::MDBOOK_VERSION,
            ctx.mdbook_version
        );
    }
    let env = Settings::from_env(|k| std::env::var(k).ok())?;
    printer.with_progress(outer.dry_run, outer.offline, |options| {
        R2filter::new(outer.settings.clone(), env, cwd, options).process_book(&ctx, book)
    })
}

/// `0.5.4` and `0.5.1` speak the same protocol; `0.4.x` may not.
fn same_minor(a: &str, b: &str) -> bool {
    fn minor(v: &str) -> Vec<&str> {
        v.splitn(3, '.').take(2).collect()
    }
    minor(a) == minor(b)
}
