//! One file per subcommand: an `Args` struct (its doc comments are the `--help` text) and `run`.

pub mod analyze;
pub mod diff;
pub mod export;
pub mod import;
pub mod init;
pub mod kb;
pub mod schema;
pub mod serve;
pub mod validate;
