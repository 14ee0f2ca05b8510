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
#[doc(hidden)]
pub mod reference;
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

    /// Markdown/MDX files or folders (walked for .md, .mdx, .markdown, honouring
    /// .gitignore); needs --in-place or --out-dir. None: standard input
    #[arg(value_name = "PATH", help_heading = help::INPUT)]
    pub paths: Vec<PathBuf>,

    /// Rewrite each file given in PATH... in place (atomically)
    #[arg(long, conflicts_with = "out_dir", requires = "paths", help_heading = help::INPUT)]
    pub in_place: bool,

    /// Write the rewritten files under DIR, same layout as in each PATH folder
    #[arg(long, value_name = "DIR", requires = "paths", help_heading = help::INPUT)]
    pub out_dir: Option<PathBuf>,

    /// Treat standard input as MDX (JSX string props are rewritten too)
    #[arg(long, help_heading = help::INPUT)]
    pub mdx: bool,

    #[command(flatten)]
    pub config: ConfigArgs,

    /// Print the plan (location, action, image, key, URL) on stdout instead of
    /// the document; upload nothing, write nothing, send no request
    #[arg(long, help_heading = help::RUN)]
    pub dry_run: bool,

    /// Use the manifest only; fail on any image not in it (no network)
    #[arg(long, help_heading = help::RUN)]
    pub offline: bool,

    /// Write a JSON account of the run to FILE: every reference with its status
    /// and URL, the totals, and on failure the errors
    #[arg(long, value_name = "FILE", help_heading = help::RUN)]
    pub report: Option<PathBuf>,

    /// Print nothing on stderr but errors (no progress bar, no summary)
    #[arg(short, long, global = true, help_heading = help::RUN)]
    pub quiet: bool,

    /// More logging on stderr (-v, -vv); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = help::RUN)]
    pub verbose: u8,
}

/// The command line as `--help` and the reference pages show it: each
/// setting with its `[env: …]` and `[default: …]` (variable values never
/// shown), and each subcommand with only the settings it takes
/// ([`help::TAKEN_BY`]); the others are hidden there, and refused by
/// [`parse_from`].
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command().mut_args(|a| a.hide_env_values(true));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| {
            sub.mut_args(|a| {
                let a = a.hide_env_values(true);
                if untaken(name, &a) { a.hide(true) } else { a }
            })
        })
    })
}

/// Whether `arg` is a setting that `command` does not take.
fn untaken(command: &str, arg: &clap::Arg) -> bool {
    is_setting(arg) && help::takes(command, arg.get_help_heading()) == Some(false)
}

pub(crate) fn is_setting(arg: &clap::Arg) -> bool {
    static IDS: std::sync::OnceLock<Vec<clap::Id>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        Settings::args()
            .iter()
            .map(|a| a.get_id().clone())
            .collect()
    })
    .contains(arg.get_id())
}

/// The command line as it is parsed: settings have no variable and no
/// default there ([`Settings::for_parsing`]), so each layer below the flags
/// shows through; the help it would print comes from [`command`].
fn for_parsing(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.mut_args(|a| {
        if is_setting(&a) {
            Settings::for_parsing(a)
        } else {
            a.env(None::<&'static str>)
        }
    });
    cmd.mut_subcommands(for_parsing)
}

/// Parses the process's arguments (see [`parse_from`]).
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// Parses `args` into a [`Cli`], or exits as clap does: help and version on
/// stdout, usage errors (exit 2) on stderr, a setting given to a
/// subcommand that does not take it among them.
pub fn parse_from(args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>) -> Cli {
    use clap::FromArgMatches;
    use clap::error::ErrorKind;
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let matches = match for_parsing(command()).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            // The same help, with each setting's variable and default.
            match command().try_get_matches_from(&args) {
                Err(shown) => shown.exit(),
                Ok(_) => e.exit(),
            }
        }
        Err(e) => e.exit(),
    };
    refuse_untaken(&matches);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// A setting given after a subcommand that does not take it is a usage
/// error, not silently ignored (before the subcommand, every setting is
/// accepted: it is the filter's).
fn refuse_untaken(matches: &clap::ArgMatches) {
    let Some((name, sub)) = matches.subcommand() else {
        return;
    };
    // Only ids the subcommand has (and were matched) may be asked about.
    let given = sub.ids().find_map(|id| {
        Settings::args().into_iter().find(|a| {
            a.get_id() == id
                && untaken(name, a)
                && sub.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
        })
    });
    if let Some(arg) = given {
        let takers: Vec<&str> = help::TAKEN_BY
            .iter()
            .find(|(h, _)| Some(*h) == arg.get_help_heading())
            .map(|(_, c)| c.to_vec())
            .unwrap_or_default();
        let mut cmd = command();
        cmd.build();
        let sub = cmd
            .find_subcommand_mut(name)
            .expect("a subcommand that was parsed");
        sub.error(
            clap::error::ErrorKind::UnknownArgument,
            format!(
                "`r2filter {name}` does not use --{}; it is a setting of {} (`r2filter` being the filter itself)",
                arg.get_long().unwrap_or_default(),
                takers.join(", ")
            ),
        )
        .exit()
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented r2filter.toml to start from (or print book.toml's table)
    #[command(after_help = help::INIT)]
    Init(init::InitArgs),
    /// Run as an mdBook preprocessor (`command = "r2filter mdbook"` in book.toml)
    #[command(after_help = help::MDBOOK)]
    Mdbook(mdbook::MdbookArgs),
    /// Check, offline, that every local image is on disk and in the manifest (CI lint)
    #[command(after_help = help::CHECK)]
    Check(check::CheckArgs),
    /// Ask the bucket about every object in the manifest (HEAD each)
    #[command(after_help = help::VERIFY)]
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

    /// Config file; unset: ./r2filter.toml when present
    #[arg(long, value_name = "FILE", env = "R2FILTER_CONFIG", help_heading = help::RUN)]
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
