//! `threatscribe serve`: the local web app and JSON API.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use threatscribe_kb::KnowledgeBase;
use threatscribe_server::{Config, Read, Reader};

use crate::error::CliError;
use crate::input::Input;

/// Serve the web app: paste a description or a model file, review the findings, record
/// decisions, compare versions; with a JSON API (see /api/openapi.json).
///
/// Binds to 127.0.0.1:8080 by default. Beyond loopback a token is required: give one with
/// --token or THREATSCRIBE_TOKEN, or one is generated and printed. Models are kept in a SQLite
/// database (default: threatscribe/threatscribe.sqlite in the user's data directory).
///
/// Example: threatscribe serve --addr 127.0.0.1:8080 --db models.sqlite
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The SQLite database file (created when missing).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Require this token on every request (Authorization: Bearer, or the login page). Also
    /// read from THREATSCRIBE_TOKEN.
    #[arg(long, env = "THREATSCRIBE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The largest request body, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 8)]
    pub max_body_mib: usize,
    /// LLM agents add to the analysis of every new version (the pages show their progress).
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
}

/// Reads inputs for the web app exactly as `analyze` reads files.
struct CliReader;

impl Reader for CliReader {
    fn read(&self, name: &str, text: &str) -> Result<Read, String> {
        let kb = KnowledgeBase::builtin();
        let input = Input::from_text(name, text).map_err(|e| describe(&e))?;
        let parsed = input.parse(kb).map_err(|e| describe(&e))?;
        Ok(Read {
            model: parsed.model,
            kind: input.kind().to_owned(),
            warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
            locations: parsed.locations,
        })
    }
}

/// An intake error as one message, each problem on its own line with its position.
fn describe(error: &CliError) -> String {
    match error {
        CliError::Input { problems, .. } => problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

pub fn run(args: &Args) -> Result<(), CliError> {
    if args.llm.dry_run || args.llm.llm_required {
        return Err(CliError::Unusable(
            "--dry-run and --llm-required apply to analyze and init, not to serve".into(),
        ));
    }
    let llm = args.llm.settings(true)?;
    let db = if let Some(path) = &args.db {
        path.clone()
    } else {
        let dir = dirs::data_dir()
            .map(|d| d.join("threatscribe"))
            .ok_or_else(|| {
                CliError::Unusable("no user data directory is known here: give --db FILE".into())
            })?;
        std::fs::create_dir_all(&dir).map_err(|source| CliError::Write {
            path: dir.clone(),
            source,
        })?;
        dir.join("threatscribe.sqlite")
    };
    let token = args.token.clone().filter(|t| !t.trim().is_empty());
    let generated = token.is_none() && !args.addr.ip().is_loopback();
    let token = if generated {
        Some(threatscribe_server::generate_token())
    } else {
        token
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Write {
            path: "the async runtime".into(),
            source,
        })?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| CliError::Unusable(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Unusable(format!("cannot listen on {}: {e}", args.addr)))?;
        let config = Config {
            db: db.clone(),
            token: token.clone(),
            reader: Arc::new(CliReader),
            max_body: args.max_body_mib.max(1) * 1024 * 1024,
            today: crate::clock::today,
            llm,
        };
        let app = threatscribe_server::app(config, addr)
            .map_err(|e| CliError::Unusable(format!("{}: {e}", db.display())))?;
        // Whoever started the server may stop reading its output: printing never stops it.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "threatscribe serving http://{addr}/ (database {})",
            db.display()
        );
        if generated {
            let _ = writeln!(out, "token: {}", token.as_deref().unwrap_or_default());
            let _ = writeln!(
                out,
                "(listening beyond loopback: every request needs this token)"
            );
        }
        let _ = out.flush();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::Unusable(format!("the server stopped: {e}")))
    })
}
