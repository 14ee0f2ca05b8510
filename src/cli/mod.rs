//! The `r2filter` command line: argument parsing, configuration layering, and
//! rendering errors once, at the edge. One file per entry: [`filter`] is the
//! stdin → stdout filter, [`init`] writes a config file to start from,
//! [`mdbook`] is the mdBook preprocessor, [`check`] and [`verify`] are the
//! audits; their `--help` examples live in [`help`].

pub mod batch;
pub mod check;
pub mod eject;
pub mod filter;
pub mod help;
pub mod init;
pub mod mdbook;
pub mod migrate;
pub mod orphans;
pub mod output;
pub mod progress;
pub mod report;
pub mod verify;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{CONFIG_FILE, Config, Settings};
use crate::error::Error;
pub use output::{Printer, exit};

/// Moves a static site's images to S3-compatible storage (Cloudflare R2) at build
/// time and rewrites the Markdown byte-exactly.
///
/// Reads a Markdown document on standard input and writes it to standard output
/// with every local image reference replaced by its public URL. Each image is
/// uploaded once, under its content hash, and remembered in a manifest
/// (r2filter-manifest.json) so later runs need no network.
#[derive(Debug, Parser)]
#[command(name = "r2filter", version, after_help = help::MAIN, args_override_self = true)]
pub struct Cli {
    /// Without a subcommand, r2filter filters standard input to standard output.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub config: ConfigArgs,

    /// Markdown/MDX files or folders (walked for .md, .mdx, .markdown, honouring
    /// .gitignore); needs --in-place or --out-dir. None: standard input
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Rewrite each file given in PATH... in place (atomically)
    #[arg(long, conflicts_with = "out_dir", requires = "paths")]
    pub in_place: bool,

    /// Write the rewritten files under DIR, same layout as in each PATH folder
    #[arg(long, value_name = "DIR", requires = "paths")]
    pub out_dir: Option<PathBuf>,

    /// Treat standard input as MDX (JSX string props are rewritten too)
    #[arg(long)]
    pub mdx: bool,

    /// Print the plan (location, action, image, key, URL) on stdout instead of
    /// the document; upload nothing, write nothing, send no request
    #[arg(long)]
    pub dry_run: bool,

    /// Use the manifest only; fail on any image not in it (no network)
    #[arg(long)]
    pub offline: bool,

    /// Write a JSON account of the run to FILE: every reference with its status
    /// and URL, the totals, and on failure the errors
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Print nothing on stderr but errors (no progress bar, no summary)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// More logging on stderr (-v, -vv); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented r2filter.toml to start from (or print book.toml's table)
    #[command(after_help = help::INIT)]
    Init(init::InitArgs),
    /// Run as an mdBook preprocessor (`command = "r2filter mdbook"` in book.toml)
    Mdbook(mdbook::MdbookArgs),
    /// Check, offline, that every local image is on disk and in the manifest (CI lint)
    Check(check::CheckArgs),
    /// Ask the bucket about every object in the manifest (HEAD each)
    Verify(verify::VerifyArgs),
    /// Rewrite documents in place, then list (with --delete, delete) the
    /// local images nothing needs any more
    #[command(after_help = help::MIGRATE)]
    Migrate(migrate::MigrateArgs),
    /// The way back: download the images the documents link to and restore
    /// the files and links
    #[command(after_help = help::EJECT)]
    Eject(eject::EjectArgs),
    /// List the objects under the prefix that the manifest does not name
    #[command(after_help = help::ORPHANS)]
    Orphans(orphans::OrphansArgs),
}

/// Sets up logging on stderr: warnings by default, `-q` errors only, `-v`
/// debug, `-vv` trace; `RUST_LOG` wins.
pub fn init_logging(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "r2filter=debug,warn",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::stderr_writer)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Where a command's settings come from besides the environment: its
/// flags, and the config file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub settings: Settings,

    /// Config file [default: ./r2filter.toml when present] [env: R2FILTER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// Stacks flags > environment > config file > defaults into a checked
    /// [`Config`]. The manifest and root default to the config file's folder,
    /// or `cwd` when there is none.
    pub fn load(&self, cwd: &Path) -> Result<Config, Error> {
        load_config(self.settings.clone(), self.config.as_deref(), cwd)
    }

    /// A subcommand's configuration: its own flags over `outer`'s (those
    /// given before the subcommand), then as [`ConfigArgs::load`].
    pub fn load_under(&self, outer: &ConfigArgs, cwd: &Path) -> Result<Config, Error> {
        let flags = self.settings.clone().or(outer.settings.clone());
        load_config(
            flags,
            self.config.as_deref().or(outer.config.as_deref()),
            cwd,
        )
    }
}

/// Stacks flags > environment > config file into a checked [`Config`].
fn load_config(flags: Settings, config: Option<&Path>, cwd: &Path) -> Result<Config, Error> {
    let env = Settings::from_env(|k| std::env::var(k).ok())?;
    let explicit = config
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("R2FILTER_CONFIG").map(PathBuf::from));
    let file = match &explicit {
        Some(p) => Some(cwd.join(p)),
        None => Some(cwd.join(CONFIG_FILE)).filter(|p| p.is_file()),
    };
    let (from_file, home) = match &file {
        Some(f) => (
            Settings::from_toml_file(f, None)?,
            f.parent().unwrap_or(cwd).to_path_buf(),
        ),
        None => (Settings::default(), cwd.to_path_buf()),
    };
    let cfg = flags.or(env).or(from_file).resolve(cwd, &home)?;
    tracing::debug!("{}", cfg.profile.describe());
    Ok(cfg)
}

/// Runs `r2filter` with `args`; returns the process exit code.
pub fn main_with(args: Cli) -> ExitCode {
    init_logging(args.quiet, args.verbose);
    let printer = Printer::new(args.quiet, args.verbose);
    let result = match &args.command {
        None if !args.paths.is_empty() => batch::run(&args, &printer),
        None => filter::run(&args, &printer),
        Some(Command::Init(init)) => init::run(init, &printer),
        Some(Command::Check(c)) => check::run(&args, c, &printer),
        Some(Command::Verify(v)) => verify::run(&args, v, &printer),
        Some(Command::Migrate(m)) => migrate::run(&args, m, &printer),
        Some(Command::Eject(e)) => eject::run(&args, e, &printer),
        Some(Command::Orphans(o)) => orphans::run(&args, o, &printer),
        Some(Command::Mdbook(m)) => mdbook::run(m, mdbook::Outer::from_cli(&args), &printer),
    };
    exit(&printer, result)
}

/// The current folder (every entry's anchor for relative paths).
pub(crate) fn cwd() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|source| {
        Error::from(crate::document::ReadError::Io {
            path: ".".into(),
            source,
        })
    })
}

/// What a subcommand that rewrites documents in place (eject, migrate)
/// starts from: the current folder, its configuration, and the documents
/// under `paths` (the current folder when none), read.
pub(crate) struct Documents {
    pub cwd: PathBuf,
    pub cfg: Config,
    pub inputs: Vec<crate::batch::Input>,
    pub docs: Vec<crate::document::Document>,
}

pub(crate) fn documents(
    cli: &Cli,
    config: &ConfigArgs,
    paths: &[PathBuf],
) -> Result<Documents, Error> {
    let cwd = cwd()?;
    let cfg = config.load_under(&cli.config, &cwd)?;
    // The current folder, its files named without a leading `./`.
    let paths = if paths.is_empty() {
        vec![PathBuf::new()]
    } else {
        paths.to_vec()
    };
    let inputs = crate::batch::collect(&paths, &cwd)?;
    let docs = crate::batch::read(&inputs)?;
    Ok(Documents {
        cwd,
        cfg,
        inputs,
        docs,
    })
}

/// Writes `--report FILE` for a finished run of the filter or batch mode
/// (see [`write_report_file`]).
pub(crate) fn write_report(
    args: &Cli,
    printer: &Printer,
    result: Result<&crate::pipeline::Outcome, &Error>,
    site: Option<&crate::site::Profile>,
) -> Result<(), Error> {
    write_report_file(
        args.report.as_deref(),
        printer,
        (result, site),
        args.dry_run,
        args.offline,
    )
}

/// Writes the report to `path` (if any) before anything reaches stdout: a
/// report that cannot be written fails a run that succeeded; when the run
/// failed, its own error is the one returned and the report's is only shown.
pub(crate) fn write_report_file(
    path: Option<&Path>,
    printer: &Printer,
    (result, site): (
        Result<&crate::pipeline::Outcome, &Error>,
        Option<&crate::site::Profile>,
    ),
    dry_run: bool,
    offline: bool,
) -> Result<(), Error> {
    let Some(path) = path else { return Ok(()) };
    match (
        result.is_ok(),
        crate::cli::report::Report::new(result, site, dry_run, offline).write(path),
    ) {
        (true, Err(e)) => Err(e),
        (false, Err(e)) => {
            printer.error(&e);
            Ok(())
        }
        (_, Ok(())) => Ok(()),
    }
}
