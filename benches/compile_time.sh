#!/usr/bin/env bash
# How long a crate with one 200-method `#[api]` trait takes to compile, with restrait's
# default features and with `hyper` added. restrait and its dependencies are built once per
# configuration first; then the SDK crate alone is rebuilt ROUNDS times per configuration,
# the two alternating, and the median of each is printed with their ratio.
#
#   bash benches/compile_time.sh [ROUNDS]      (default 5; needs cargo and python3)
#   bash benches/compile_time.sh ROUNDS OTHER  default features of this checkout against those
#                                              of the checkout at OTHER (a worktree of an
#                                              earlier commit, say): what a change costs users
#                                              who do not use it
#
# It measures `cargo build` (dev profile) of the SDK crate: the macro's expansion and the
# compilation of what it emits, which is what a user pays on every edit of their SDK.
set -euo pipefail
rounds="${1:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
other="${2:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sdk() { # $1: directory, $2: features of restrait, $3: the restrait checkout (default: this one)
    local root="${3:-$root}"
    mkdir -p "$1/src"
    cat > "$1/Cargo.toml" <<TOML
[package]
name = "sdk200"
version = "0.1.0"
edition = "2021"
[dependencies]
restrait = { path = "$root/core", features = [$2] }
serde = { version = "1", features = ["derive"] }
[workspace]
TOML
    {
        echo 'use restrait::{api, get, post, Result};'
        echo '#[derive(serde::Serialize, serde::Deserialize)] pub struct Item { pub id: u64, pub name: String }'
        echo '#[api(base = "https://api.example.com")]'
        echo 'pub trait Big {'
        for i in $(seq 1 100); do
            echo "    #[get(\"/items/<id>/m$i\")] async fn get_$i(&self, id: u64, #[query] page: Option<u32>) -> Result<Item>;"
            echo "    #[post(\"/items/m$i\")] async fn post_$i(&self, #[body] item: &Item) -> Result<Item>;"
        done
        echo '}'
    } > "$1/src/lib.rs"
    cp "$root/Cargo.lock" "$1/Cargo.lock" 2>/dev/null || true
}

sdk "$work/default" ''
if [[ -n "$other" ]]; then
    # The second configuration is the other checkout's default features, under the same
    # name so that the rest of the script is unchanged.
    sdk "$work/hyper" '' "$(cd "$other" && pwd)"
else
    sdk "$work/hyper" '"hyper"'
fi
for config in default hyper; do
    (cd "$work/$config" && cargo build --quiet --offline 2>/dev/null || cargo build --quiet)
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/default.times"
: > "$work/hyper.times"
for _ in $(seq 1 "$rounds"); do
    for config in default hyper; do
        touch "$work/$config/src/lib.rs"
        start=$(date +%s.%N)
        (cd "$work/$config" && cargo build --quiet --offline)
        end=$(date +%s.%N)
        python3 -c "print($end - $start)" >> "$work/$config.times"
    done
done
d=$(median < "$work/default.times")
h=$(median < "$work/hyper.times")
if [[ -n "$other" ]]; then
    python3 -c "print(f'compile time of a 200-method trait, default features: this checkout {$d:.2f} s, $other {$h:.2f} s (medians of $rounds), ratio this/other {$d / $h:.3f}')"
else
    python3 -c "print(f'compile time of a 200-method trait: default features {$d:.2f} s, with hyper {$h:.2f} s (medians of $rounds), ratio {$h / $d:.3f}')"
fi
