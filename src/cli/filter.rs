//! `r2filter < post.md > out.md`: one document from standard input to standard
//! output. Nothing reaches stdout unless the whole run succeeded.

use std::io::{Read, Write};

use super::{Cli, load_config, runtime};
use crate::error::Error;
use crate::pipeline::{self, Document, Options};
use crate::scan::Flavor;

/// The stdin → stdout filter.
pub fn run(args: &Cli) -> Result<(), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Input {
        path: ".".into(),
        source,
    })?;
    let cfg = load_config(
        args.settings.clone().into_settings(),
        args.config.as_deref(),
        None,
        &cwd,
    )?;
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
    let doc = Document {
        name: "<stdin>".into(),
        base_dir: cfg.base_dir.clone(),
        text,
        flavor: if args.mdx {
            Flavor::Mdx
        } else {
            Flavor::Markdown
        },
    };
    let outcome = runtime().block_on(pipeline::run(
        &cfg,
        std::slice::from_ref(&doc),
        Options {
            dry_run: args.dry_run,
            offline: args.offline,
        },
    ))?;
    if !args.dry_run {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(outcome.outputs[0].as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|source| Error::Output {
                path: "<stdout>".into(),
                source,
            })?;
    } else {
        for r in &outcome.records {
            eprintln!(
                "{}:{}:{}: {:?} {} -> {}",
                r.document,
                r.line,
                r.column,
                r.status,
                r.original,
                r.url.as_deref().unwrap_or("(unchanged)")
            );
        }
    }
    if !args.quiet {
        eprintln!("r2filter: {}", outcome.summary);
    }
    Ok(())
}
