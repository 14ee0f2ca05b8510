use std::process::ExitCode;

fn main() -> ExitCode {
    r2filter::cli::main_with(r2filter::cli::parse())
}
