#!/usr/bin/env bash
# Compile time of `#[derive(PersonalData)]` on the realistic mix: `#[derive(Serialize,
# Deserialize, PersonalData)]` against `#[derive(Serialize, Deserialize, Debug)]`.
#
# Generates, in a temporary directory, a workspace path-depending on this
# checkout's `privacy-core` (feature `derive` only) and on serde:
#   annotated/  STRUCTS structs of 10 fields, `#[derive(PersonalData, Serialize, Deserialize)]`,
#               every field classified (categories, encrypt + blind_index, anonymizers,
#               retention measured from `collected_at`, `on_erase`, `not_personal`, a subject
#               id);
#   baseline/   the same structs with `#[derive(Serialize, Deserialize, Debug)]` and no
#               attributes;
#   floor/      the annotated structs, every `#[personal(...)]` kept, with
#               `#[derive(Noop, Serialize, Deserialize, Debug)]`: `Noop` (the proc-macro crate
#               noop/) only
#               declares the `personal` attribute and emits nothing. It is what the annotations
#               cost any derive that reads them (lexing and parsing them, one proc-macro call
#               per struct) with `derive(Debug)` instead of a redacted one: the floor the
#               annotated crate can approach.
# All share one CARGO_TARGET_DIR, so the dependencies build once (warm-up). Then, in
# interleaved rounds, it times `touch src/lib.rs && cargo build` (dev profile) of each crate
# and prints the medians (and minimums) and `ratio: X.XXx` (annotated / baseline, wall clock;
# the target is <= 1.20x), then the floor against the baseline and the annotated crate
# against the floor, and the same ratios of CPU time (user + system of cargo and rustc:
# steadier than the wall clock on a machine loaded by other work).
#
# MIX=serialize measures the older, narrower mix instead: `Serialize` alone beside
# `PersonalData` (resp. `Debug`), without `Deserialize`.
#
# Usage: benches/compile_time.sh [--check] [--keep]
#   --check  also time `cargo check` the same way (front end only: expansion, type checking),
#            which tells whether the cost is in the front end or in code generation.
#   --keep   keep the temporary directory and print its path.
# Environment: STRUCTS (default 200), RUNS (default 5), CARGO (default cargo),
#              MIX (realistic, the default, or serialize). `CARGO_INCREMENTAL=0` times full
#              rebuilds of each crate instead of the dev profile's incremental ones (a touched,
#              unchanged file lets incremental compilation reuse type checking and code
#              generation, so the default mostly times expansion and the front end).
set -euo pipefail

STRUCTS=${STRUCTS:-200}
MIX=${MIX:-realistic}
case "$MIX" in
    realistic) SERDE="Serialize, Deserialize" ;;
    serialize) SERDE="Serialize" ;;
    *) echo "unknown MIX: $MIX (realistic or serialize)" >&2; exit 2 ;;
esac
RUNS=${RUNS:-5}
CARGO=${CARGO:-cargo}
CHECK=0
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        --keep) KEEP=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORE="$ROOT/privacy-core"
[ -f "$CORE/Cargo.toml" ] || { echo "privacy-core not found at $CORE" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/privacy-compile-time.XXXXXX")
if [ "$KEEP" = 1 ]; then
    echo "workspace: $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
export CARGO_TARGET_DIR="$WORK/target"
# Incremental compilation is the dev-profile default; keep whatever the user has, but make
# sure no outer RUSTFLAGS from another build changes one crate and not the other.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

cat >"$WORK/Cargo.toml" <<EOF
[workspace]
members = ["annotated", "baseline", "floor", "noop"]
resolver = "2"

[workspace.dependencies]
privacy-core = { path = "$CORE", default-features = false, features = ["derive"] }
serde = { version = "1", features = ["derive"] }
EOF
# Start from this checkout's lock file so the dependencies are the versions it tests with.
[ -f "$ROOT/Cargo.lock" ] && cp "$ROOT/Cargo.lock" "$WORK/Cargo.lock"

for crate in annotated baseline floor; do
    mkdir -p "$WORK/$crate/src"
    cat >"$WORK/$crate/Cargo.toml" <<EOF
[package]
name = "$crate"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
privacy-core.workspace = true
serde.workspace = true
EOF
done

# The floor's derive: declares `#[personal]` and emits nothing.
mkdir -p "$WORK/noop/src"
cat >"$WORK/noop/Cargo.toml" <<EOF
[package]
name = "noop"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
proc-macro = true
EOF
cat >"$WORK/noop/src/lib.rs" <<'EOF'
//! A derive that only declares the `personal` attribute (the compile-time floor).
use proc_macro::TokenStream;

#[proc_macro_derive(Noop, attributes(personal))]
pub fn noop(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
EOF
echo 'noop = { path = "../noop" }' >>"$WORK/floor/Cargo.toml"

# One struct, annotated (`$1` = index).
annotated_struct() {
    cat <<EOF
#[derive(PersonalData, $SERDE)]
#[personal(subject = "customer")]
pub struct Record$1 {
    #[personal(subject_id)]
    pub id: String,
    #[personal(category = "identity.name", purpose = "account, support", source = "user",
               anonymize = "initials")]
    pub name: String,
    #[personal(category = "contact.email", purpose = "account", anonymize = "email",
               encrypt, blind_index)]
    pub email: String,
    #[personal(category = "contact.phone", purpose = "support", anonymize = "redact",
               on_erase = "anonymize")]
    pub phone: String,
    #[personal(category = "device.ip_address", anonymize = "ip", retention = "90d",
               on_erase = "anonymize", shared_with = "hosting provider")]
    pub last_ip: IpAddr,
    #[personal(category = "financial.card_number", encrypt, on_erase = "retain",
               legal_basis = "tax law: invoices are kept 10 years")]
    pub card: String,
    #[personal(category = "demographic.country", retention = "3y", purpose = "billing")]
    pub country: String,
    #[personal(collected_at)]
    pub created_at: SystemTime,
    #[personal(not_personal)]
    pub plan: String,
    #[personal(not_personal)]
    pub seats: u32,
}

EOF
}

baseline_struct() {
    cat <<EOF
#[derive($SERDE, Debug)]
pub struct Record$1 {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub last_ip: IpAddr,
    pub card: String,
    pub country: String,
    pub created_at: SystemTime,
    pub plan: String,
    pub seats: u32,
}

EOF
}

{
    echo "//! Generated by benches/compile_time.sh: $STRUCTS annotated structs."
    echo "#![allow(dead_code)]"
    echo "use std::net::IpAddr;"
    echo "use std::time::SystemTime;"
    echo "use privacy_core::PersonalData;"
    echo "use serde::{$SERDE};"
    echo
    for i in $(seq 1 "$STRUCTS"); do annotated_struct "$i"; done
} >"$WORK/annotated/src/lib.rs"

{
    echo "//! Generated by benches/compile_time.sh: $STRUCTS baseline structs."
    echo "#![allow(dead_code)]"
    echo "use std::net::IpAddr;"
    echo "use std::time::SystemTime;"
    echo "use serde::{$SERDE};"
    echo
    for i in $(seq 1 "$STRUCTS"); do baseline_struct "$i"; done
} >"$WORK/baseline/src/lib.rs"

{
    echo "//! Generated by benches/compile_time.sh: $STRUCTS annotated structs, no-op derive."
    echo "#![allow(dead_code)]"
    echo "use std::net::IpAddr;"
    echo "use std::time::SystemTime;"
    echo "use noop::Noop;"
    echo "use serde::{$SERDE};"
    echo
    for i in $(seq 1 "$STRUCTS"); do
        annotated_struct "$i" |
            sed "s/^#\[derive(PersonalData, $SERDE)\]\$/#[derive(Noop, $SERDE, Debug)]/"
    done
} >"$WORK/floor/src/lib.rs"
grep -q "derive(Noop, $SERDE, Debug)" "$WORK/floor/src/lib.rs" || {
    echo "the floor crate was not generated" >&2
    exit 1
}

cd "$WORK"
echo "warming up: building dependencies once (privacy-core, privacy-derive, serde, ...)"
"$CARGO" build --quiet -p annotated
"$CARGO" build --quiet -p baseline
"$CARGO" build --quiet -p floor
if [ "$CHECK" = 1 ]; then
    "$CARGO" check --quiet -p annotated
    "$CARGO" check --quiet -p baseline
    "$CARGO" check --quiet -p floor
fi

now() { date +%s.%N; }

# Times `cargo $1 -p $2` after touching its lib.rs; prints wall-clock seconds, then the CPU
# seconds (user + system) of cargo and the compiler, which other load on the machine disturbs
# less than the wall clock.
time_one() {
    touch "$WORK/$2/src/lib.rs"
    local start end cpu TIMEFORMAT='%U %S'
    start=$(now)
    cpu=$({ time "$CARGO" "$1" --quiet -p "$2" 2>&3; } 3>&2 2>&1)
    end=$(now)
    awk -v s="$start" -v e="$end" -v c="$cpu" 'BEGIN { split(c, t, " "); printf "%.3f %.3f", e - s, t[1] + t[2] }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m }'; }

# Interleaved rounds, so both crates see the same machine state (other builds, caches).
measure() {
    local cmd=$1 a=() b=() f=()
    local ca=() cb=() cf=() t
    for _ in $(seq 1 "$RUNS"); do
        t=$(time_one "$cmd" annotated); a+=("${t% *}"); ca+=("${t#* }")
        t=$(time_one "$cmd" baseline); b+=("${t% *}"); cb+=("${t#* }")
        t=$(time_one "$cmd" floor); f+=("${t% *}"); cf+=("${t#* }")
    done
    local ma mb mf
    ma=$(printf '%s\n' "${a[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    mf=$(printf '%s\n' "${f[@]}" | median)
    local ra rb rf
    ra=$(printf '%s\n' "${a[@]}" | sort -g | head -1)
    rb=$(printf '%s\n' "${b[@]}" | sort -g | head -1)
    rf=$(printf '%s\n' "${f[@]}" | sort -g | head -1)
    echo "cargo $cmd, $STRUCTS structs x 10 fields, mix $MIX, median (min) of $RUNS runs:"
    echo "  annotated  #[derive(PersonalData, $SERDE)]  ${ma}s (${ra}s)   (runs: ${a[*]})"
    echo "  baseline   #[derive($SERDE, Debug)]  ${mb}s (${rb}s)   (runs: ${b[*]})"
    echo "  floor      annotations + no-op derive + Debug  ${mf}s (${rf}s)   (runs: ${f[*]})"
    awk -v a="$ma" -v b="$mb" 'BEGIN { printf "  ratio: %.2fx\n", a / b }'
    awk -v f="$mf" -v b="$mb" 'BEGIN { printf "  floor / baseline: %.2fx (what the annotations cost any derive)\n", f / b }'
    awk -v a="$ma" -v f="$mf" 'BEGIN { printf "  annotated / floor: %.2fx (what this derive adds)\n", a / f }'
    awk -v a="$ra" -v b="$rb" 'BEGIN { printf "  ratio of the minimums: %.2fx\n", a / b }'
    local cma cmb cmf
    cma=$(printf '%s\n' "${ca[@]}" | median)
    cmb=$(printf '%s\n' "${cb[@]}" | median)
    cmf=$(printf '%s\n' "${cf[@]}" | median)
    echo "  CPU seconds (user + system), median: annotated ${cma}s, baseline ${cmb}s, floor ${cmf}s"
    awk -v a="$cma" -v b="$cmb" -v f="$cmf" 'BEGIN { printf "  cpu ratio: %.2fx (floor / baseline %.2fx, annotated / floor %.2fx)\n", a / b, f / b, a / f }'
}

if [ "$CHECK" = 1 ]; then
    measure check
fi
measure build
