//! The xtask's commands: `generate [--check]` (every generated file: the client, the operation
//! table, the country list; `--check` fails with a diff when one is stale), `lint` (the spec's
//! rules), `upstream-check` (our spec against the service's own documents, with coverage),
//! `upstream-derive [--check]` (openapi/upstream/2024/ from the official Node SDK), `msrv-check`
//! (the declared rust-version builds) and `composed DIR` (the composed documents
//! `generate` works from, for other tools). The work is in the library (`lib.rs`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xtask",
    about = "Generation, spec lint and freshness check for genauth"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write crates/genauth-api/src/generated.rs, operations.rs and envelope.rs from openapi/genauth.yaml
    /// (lints the spec first), crates/genauth-api/src/countries.rs from the keshvar crate and
    /// crates/genauth-sandbox/src/documented.json from openapi/upstream/.
    Generate {
        /// Do not write: exit non-zero with a unified diff when the checked-in file is stale.
        #[arg(long)]
        check: bool,
        /// Print what was done and how long it took.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Lint openapi/genauth.yaml without generating.
    Lint,
    /// Compare openapi/genauth.yaml with the service's own OpenAPI documents (openapi/upstream/);
    /// fails on a difference not listed in openapi/divergences.yaml and on a stale listed one.
    UpstreamCheck,
    /// Write openapi/upstream/2024/ from the official Node SDK's TypeScript source (pinned in
    /// xtask/derive/package-lock.json; installed under target/tmp on first use, needs node and npm).
    UpstreamDerive {
        /// Do not write: exit non-zero with a unified diff when a vendored file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Check the declared rust-version without a second toolchain: no crate the published
    /// crates build needs a newer Rust, and the toolchain is not older.
    MsrvCheck,
    /// Write the composed documents `generate` works from (the families' operations of the
    /// service's documents, repaired) as `authentication.json` and `management.json` into DIR,
    /// for other tools (schemathesis runs over them in the tests).
    Composed {
        /// The directory to write into (created if missing).
        dir: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, xtask::Error> {
    match cli.command {
        Command::MsrvCheck => Ok(if xtask::msrv::run_check()? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Command::UpstreamCheck => Ok(if xtask::upstream::run_check()? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Command::UpstreamDerive { check } => {
            let stale = xtask::derive::run(check)?;
            for diff in &stale {
                print!("{diff}");
            }
            if stale.is_empty() {
                let done = if check { "is up to date" } else { "written" };
                println!("{} {done}", xtask::derive::out_dir().display());
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "error: openapi/upstream/2024/ is stale; run `cargo xtask upstream-derive`"
                );
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Composed { dir } => {
            for path in xtask::families::write_composed(&dir)? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint => {
            let spec = xtask::Spec::load()?;
            let findings = xtask::lint(&spec);
            if findings.is_empty() {
                println!(
                    "openapi/genauth.yaml: {} operations, no findings",
                    spec.operations().len()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                Err(xtask::Error::Spec(findings))
            }
        }
        Command::Generate { check, verbose } => {
            let started = std::time::Instant::now();
            let mut code = ExitCode::SUCCESS;
            for (path, len, outcome) in xtask::generate::write_or_check(check)? {
                match outcome {
                    xtask::generate::Outcome::Fresh if check => {
                        println!("{} is up to date", path.display());
                    }
                    xtask::generate::Outcome::Stale(diff) => {
                        print!("{diff}");
                        eprintln!(
                            "error: {} is stale; run `cargo xtask generate` and review the snapshots",
                            path.display()
                        );
                        code = ExitCode::FAILURE;
                    }
                    outcome => {
                        let written = matches!(outcome, xtask::generate::Outcome::Written);
                        if verbose || written {
                            println!(
                                "{} {} ({len} bytes, {:.2?})",
                                if written { "wrote" } else { "unchanged" },
                                path.display(),
                                started.elapsed()
                            );
                        }
                    }
                }
            }
            Ok(code)
        }
    }
}
