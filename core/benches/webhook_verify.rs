//! Whether verifying a webhook signature takes as long wherever a forgery differs from the
//! right signature: `Verifier::verify` compares with hmac's `verify_slice` (subtle's
//! constant-time equality), so a forgery that is wrong in its first hex digit must take as
//! long as one wrong in its last. An early-exit comparison would make the first the fastest.
//!
//! Run it as `cargo bench -p restrait --bench webhook_verify`. It times batches of 200
//! verifications of each forgery in turn, interleaved so that a change of machine load
//! touches all alike, and prints the median time per verification of each and the ratio of
//! the slowest to the fastest. The difference an early exit would make (tens of byte
//! comparisons) is small beside the HMAC itself, so this is a figure to read, not a check.

use std::time::{Duration, Instant};

use restrait::webhook::Verifier;

fn main() {
    const ROUNDS: usize = 2001;
    const BATCH: u32 = 200;
    let verifier = Verifier::new("It's a Secret to Everybody");
    let payload = b"Hello, World!";
    let good = verifier.sign(payload);
    // `sha256=` and 64 hex digits: flip the first, a middle and the last digit.
    let flip = |index: usize| {
        let mut hex = good.clone().into_bytes();
        let at = "sha256=".len() + index;
        hex[at] = if hex[at] == b'0' { b'1' } else { b'0' };
        String::from_utf8(hex).unwrap()
    };
    let forged = [("first digit", flip(0)), ("middle digit", flip(31)), ("last digit", flip(63))];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); forged.len()];
    for _ in 0..ROUNDS {
        for (i, (_, signature)) in forged.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..BATCH {
                let outcome = verifier.verify(std::hint::black_box(payload), std::hint::black_box(signature));
                assert!(std::hint::black_box(outcome).is_err());
            }
            samples[i].push(started.elapsed() / BATCH);
        }
    }
    let medians: Vec<Duration> = samples
        .into_iter()
        .map(|mut s| {
            s.sort();
            s[s.len() / 2]
        })
        .collect();
    for ((name, _), median) in forged.iter().zip(&medians) {
        println!(
            "webhook_verify/forgery in the {name}: {:.1} ns per verification (median of {ROUNDS} batches)",
            median.as_nanos()
        );
    }
    let (fastest, slowest) = (medians.iter().min().unwrap(), medians.iter().max().unwrap());
    println!("webhook_verify/slowest over fastest: {:.3}", slowest.as_secs_f64() / fastest.as_secs_f64());
}
