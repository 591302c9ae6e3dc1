//! The `tribune` binary: parse the command line, run the command, map failures to exit codes
//! (78 for a configuration problem, 75 for something not done yet, 1 for anything else).

use std::process::ExitCode;

use clap::Parser;

// The allocator, when not the system's: chosen by a cargo feature (BENCHMARKS.md, B6 memory).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tribune::install_crypto_provider();
    // Logging starts once the settings are read (they choose text or JSON).
    match tribune::cli::Cli::parse().run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(tribune::cli::Failure::Config(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(78)
        }
        Err(tribune::cli::Failure::Later(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(75)
        }
        // The reader of our output went away (`| head`): as a tool killed by SIGPIPE.
        Err(tribune::cli::Failure::Other(e)) if tribune::cli::output::closed_pipe(&e) => {
            ExitCode::from(141)
        }
        Err(tribune::cli::Failure::Other(e)) => {
            eprintln!("error: {}", tribune::cli::output::sentence(&e));
            ExitCode::FAILURE
        }
    }
}
