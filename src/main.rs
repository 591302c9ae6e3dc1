//! The `tribune` binary: parse the command line, run the command, map failures to exit codes
//! (78 for a configuration problem, 75 for something not done yet, 1 for anything else).

use std::process::ExitCode;

use clap::Parser;

// The allocator, when not the system's: chosen by a cargo feature (BENCHMARKS.md, B6 memory).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
/// jemalloc's settings: pages freed for 5 s go back to the system at once with
/// `MADV_DONTNEED`, not first through `MADV_FREE`, whose pages stay counted in the process's
/// RSS until the kernel wants them back; purged by jemalloc's background thread, so that an
/// idle server shrinks too. jemalloc also serves C's `malloc` (SQLite's caches among others,
/// which glibc's per-thread arenas kept after a burst), so the symbol and the environment's
/// override (`MALLOC_CONF`) have their unprefixed names (BENCHMARKS.md, B6 memory).
/// The one `unsafe` of the crate: the symbol jemalloc reads at start-up, a pointer to a
/// NUL-terminated string, which this static is.
#[cfg(feature = "jemalloc")]
#[allow(unsafe_code)]
#[unsafe(export_name = "malloc_conf")]
pub static JEMALLOC_CONF: &[u8; 60] =
    b"background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0\0";
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
