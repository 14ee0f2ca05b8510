use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    r2filter::cli::main_with(r2filter::cli::Cli::parse())
}
