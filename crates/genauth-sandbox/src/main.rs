//! `genauth-sandbox --listen 127.0.0.1:8787 [--config sandbox.json]`

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use genauth_sandbox::{Config, Sandbox};

/// A stateful local GenAuth service for development and tests.
#[derive(Parser)]
#[command(
    name = "genauth-sandbox",
    version,
    after_help = "Control over HTTP, under /__sandbox/ (examples with curl: crates/genauth-sandbox/README.md):
  GET  /__sandbox/outbox?phone=&channel=   the SMS codes sent
  GET|PUT|DELETE /__sandbox/faults         faults per route (latency, envelope, 502/503, dropped connections ...)
  POST /__sandbox/social-codes             a one-time social authorization code
  GET|POST /__sandbox/clock                now; {\"advance_secs\": N} or {\"set_ms\": T}
  GET|POST /__sandbox/users                the users; create one, with or without a phone
  POST /__sandbox/reset                    back to the seed
  GET|PUT  /__sandbox/settings             code length, token lifetime, rate limit, limits
  GET  /__sandbox/stats                    connections, requests per route, sessions and refreshes"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// JSON file with apps, the user pool and users (default: the built-in seed).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = match args.config.as_deref().map(Config::from_file).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let sandbox = match Sandbox::builder()
        .config(config)
        .listen(args.listen)
        .start()
        .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    print!("{}", sandbox.banner());
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}
