//! `mdbook-r2filter`: the command mdBook runs for `[preprocessor.r2filter]`.
//! The same as `r2filter mdbook`; see `r2filter::cli::mdbook`.

use std::process::ExitCode;

use clap::Parser;
use r2filter::cli::mdbook::{MdbookArgs, main_with};

fn main() -> ExitCode {
    main_with(&MdbookArgs::parse())
}
