//! How a command ended, and which failures are the environment's (exit 78).

/// How a command ended, for the process exit code.
#[derive(Debug)]
pub enum Failure {
    /// A setting is wrong: exit code 78 (EX_CONFIG).
    Config(String),
    /// Anything else: exit code 1.
    Other(anyhow::Error),
    /// Not done yet, try again later (a wait that timed out): exit code 75 (EX_TEMPFAIL).
    Later(String),
}

/// A database out of reach, that cannot be opened, or read-only is the environment's problem
/// (exit 78), said in one sentence naming where the database is.
pub(super) fn environment(failure: Failure, url: &str) -> Failure {
    match failure {
        Failure::Other(e) => match crate::db::read::environment_problem(e.chain(), url) {
            Some(message) => Failure::Config(message),
            None => Failure::Other(e),
        },
        f => f,
    }
}

/// Configuration problems found while building (images, binding) keep their own exit code.
pub(super) fn classify(e: anyhow::Error) -> Failure {
    if e.downcast_ref::<crate::config::ConfigError>().is_some() {
        Failure::Config(super::output::sentence(&e))
    } else {
        Failure::Other(e)
    }
}
