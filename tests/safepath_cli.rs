//! The SafePath demo's flags: help, defaults, and clear errors for bad input.

#[allow(dead_code)]
#[path = "../examples/safepath/cli.rs"]
mod cli;

use std::path::PathBuf;

use cli::{parse, Command, Step};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn no_flags_run_every_step_on_the_default_database() {
    let Ok(Command::Run(o)) = parse(args(&[])) else {
        panic!("expected a run");
    };
    assert_eq!(o.step, Step::All);
    assert_eq!(
        o.db,
        std::env::temp_dir()
            .join("safepath-demo")
            .join("safepath.sqlite")
    );
    assert_eq!(o.out, std::env::temp_dir().join("safepath-demo"));
}

#[test]
fn flags_choose_database_output_and_step() {
    let Ok(Command::Run(o)) = parse(args(&[
        "--db",
        "/x/y.sqlite",
        "--step",
        "delete",
        "--out",
        "/o",
    ])) else {
        panic!("expected a run");
    };
    assert_eq!(
        (o.db, o.out, o.step),
        (
            PathBuf::from("/x/y.sqlite"),
            PathBuf::from("/o"),
            Step::Delete
        )
    );
    assert!(matches!(parse(args(&["--help"])), Ok(Command::Help)));
    assert!(matches!(parse(args(&["-h", "--bogus"])), Ok(Command::Help)));
}

#[test]
fn bad_flags_are_errors_that_say_what_is_wrong() {
    let err = |list: &[&str]| parse(args(list)).err().expect("an error");
    assert_eq!(err(&["--bogus"]), "unknown argument `--bogus`");
    assert_eq!(err(&["--db"]), "--db needs a value");
    assert_eq!(
        err(&["--step", "nope"]),
        "unknown step `nope` (expected seed, know, delete, sweep, inventory or all)"
    );
}
