//! `r2filter check [PATHS...]`: offline lint for CI. Lists every local image
//! reference that is missing from disk or from the manifest; exits 1 if any.
//! No network, no credentials.
//!
//! With no PATHS it reads one document on standard input, like the filter.
//! Folders are walked for `.md`, `.mdx` and `.markdown` files, honouring
//! `.gitignore` (the `ignore` crate). (The batch mode's walker, when it lands,
//! should replace this one so both agree on which files count.)

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Cli, SettingsArgs, load_config};
use crate::audit;
use crate::error::Error;
use crate::pipeline::Document;
use crate::scan::Flavor;

/// Extensions of documents found in folders.
const DOC_EXTENSIONS: &[&str] = &["md", "mdx", "markdown"];

/// Check, without network or credentials, that every local image is on disk
/// and in the manifest (for CI on pull requests)
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Markdown/MDX files or folders [default: one document on standard input]
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Config file [default: ./r2filter.toml when present] [env: R2FILTER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Treat standard input as MDX
    #[arg(long)]
    pub mdx: bool,
}

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<(), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Input {
        path: ".".into(),
        source,
    })?;
    let settings = args
        .settings
        .clone()
        .into_settings()
        .or(cli.settings.clone().into_settings());
    let cfg = load_config(
        settings,
        args.config.as_deref().or(cli.config.as_deref()),
        None,
        &cwd,
    )?;
    let docs = if args.paths.is_empty() {
        vec![stdin_document(&cfg.base_dir, args.mdx || cli.mdx)?]
    } else {
        documents(&args.paths)?
    };
    let checked = audit::check(&cfg, &docs)?;
    if !cli.quiet {
        eprintln!(
            "r2filter check: {} local image reference{} in {} document{}: all on disk and in {}",
            checked.references,
            if checked.references == 1 { "" } else { "s" },
            checked.documents,
            if checked.documents == 1 { "" } else { "s" },
            cfg.manifest.display()
        );
    }
    Ok(())
}

fn stdin_document(base_dir: &Path, mdx: bool) -> Result<Document, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Input {
            path: "<stdin>".into(),
            source,
        })?;
    let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: "<stdin>".into(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(Document {
        name: "<stdin>".into(),
        base_dir: base_dir.to_path_buf(),
        text,
        flavor: if mdx { Flavor::Mdx } else { Flavor::Markdown },
    })
}

/// Files as given, and the documents under each folder, sorted, each once.
fn documents(paths: &[PathBuf]) -> Result<Vec<Document>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        // .gitignore counts even outside a git checkout (a CI job on an export).
        for entry in ignore::WalkBuilder::new(path).require_git(false).build() {
            let entry = entry.map_err(|e| Error::Input {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let p = entry.path();
            let is_doc = entry.file_type().is_some_and(|t| t.is_file())
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| DOC_EXTENSIONS.iter().any(|d| e.eq_ignore_ascii_case(d)));
            if is_doc {
                found.push(p.to_path_buf());
            }
        }
        found.sort();
        files.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).map_err(|source| Error::Input {
                path: file.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
                path: file.clone(),
                offset: e.utf8_error().valid_up_to(),
            })?;
            let base_dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            Ok(Document {
                name: file.display().to_string(),
                base_dir: std::path::absolute(&base_dir).unwrap_or(base_dir),
                flavor: Flavor::from_path(&file),
                text,
            })
        })
        .collect()
}
