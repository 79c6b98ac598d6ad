//! Command-line flags of the SafePath demo.

use std::path::PathBuf;

pub const USAGE: &str = "\
SafePath demo: a family-locator backend whose personal data is annotated with privacy-core.

USAGE:
    cargo run --release --example safepath -- [OPTIONS]

OPTIONS:
    --db <PATH>      SQLite database file (default: <temp dir>/safepath-demo/safepath.sqlite);
                     the key store lives beside it as <PATH>.keys
    --out <DIR>      where DSAR documents and erasure reports are written
                     (default: the database's directory)
    --step <STEP>    run one step: seed, know, delete, sweep, inventory, all (default: all)
    -h, --help       print this help

The master key comes from PRIVACY_MASTER_KEY (base64, 32 bytes); without it the demo uses a
fixed demo key and says so. Never do that in production.";

/// Which step to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    Seed,
    Know,
    Delete,
    Sweep,
    Inventory,
    All,
}

/// Parsed flags.
#[derive(Debug)]
pub struct Options {
    pub db: PathBuf,
    pub out: PathBuf,
    pub step: Step,
}

/// What the command line asked for.
pub enum Command {
    Run(Options),
    Help,
}

/// Parses the flags; the error text is meant for the user.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut db = None;
    let mut out = None;
    let mut step = Step::All;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--db" => db = Some(PathBuf::from(value("--db")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--step" => {
                step = match value("--step")?.as_str() {
                    "seed" => Step::Seed,
                    "know" => Step::Know,
                    "delete" => Step::Delete,
                    "sweep" => Step::Sweep,
                    "inventory" => Step::Inventory,
                    "all" => Step::All,
                    other => {
                        return Err(format!(
                    "unknown step `{other}` (expected seed, know, delete, sweep, inventory or all)"
                ))
                    }
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let db = db.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("safepath-demo")
            .join("safepath.sqlite")
    });
    let out = out.unwrap_or_else(|| db.parent().map(PathBuf::from).unwrap_or_default());
    Ok(Command::Run(Options { db, out, step }))
}
