//! SafePath demo service: a family locator whose personal data is annotated with
//! `#[derive(PersonalData)]`. Run `cargo run --release --example safepath -- --help`.

mod cli;
mod service;

use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use service::steps;
use service::vault::Vault;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Command::Run(options)) => options,
        Err(message) => {
            eprintln!("error: {message}\nrun with --help for the options");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &cli::Options) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let now = SystemTime::now();
    if let Some(dir) = options.db.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::create_dir_all(&options.out)?;
    let master_key = service::master_key_from_env()?.unwrap_or_else(|| {
        println!("note: PRIVACY_MASTER_KEY is not set; using the fixed demo master key (never do this in production)");
        service::demo_master_key()
    });
    println!("database: {}", options.db.display());
    let mut vault = Vault::open(&options.db, master_key)?;
    let step = options.step;
    let all = step == cli::Step::All;

    if all || step == cli::Step::Seed {
        let n = steps::seed(&vault, now)?;
        if n == 0 {
            println!("[1/5] demo data already present (run twice: nothing duplicated)");
        } else {
            println!("[1/5] stored {n} records for 3 families (encrypted fields sealed with AES-256-GCM)");
        }
    }
    if all || step == cli::Step::Know {
        let answer = steps::know(&vault, steps::KNOW_PARENT, &options.out)?;
        println!(
            "[2/5] right-to-know for {}: {} records -> {} and {}",
            steps::KNOW_PARENT,
            answer.records,
            answer.json.display(),
            answer.summary.display()
        );
    }
    if all || step == cli::Step::Delete {
        let answer = steps::delete(&mut vault, steps::DELETE_PARENT, &options.out)?;
        let retained: Vec<_> = answer
            .report
            .retained()
            .map(|(f, basis)| format!("{}.{} ({basis})", f.record, f.field))
            .collect();
        println!(
            "[3/5] deletion for {} and children: {} records deleted, {} kept under a legal basis, keys shredded -> {}",
            steps::DELETE_PARENT,
            answer.deleted_rows,
            answer.kept_rows,
            answer.report_path.display()
        );
        if !retained.is_empty() {
            println!("      retained: {}", retained.join(", "));
        }
    }
    if all || step == cli::Step::Sweep {
        let answer = steps::sweep(&vault, now)?;
        println!(
            "[4/5] retention sweep: {} fields expired, {} records deleted",
            answer.expired_fields, answer.deleted_rows
        );
    }
    if all || step == cli::Step::Inventory {
        let (table, coverage) = steps::inventory_report()?;
        println!("[5/5] data inventory (GDPR Art. 30):\n\n{table}\npolicy coverage (SafePath privacy policy, 2019):\n{coverage}");
    }
    println!("done in {:.2?}", started.elapsed());
    Ok(())
}
