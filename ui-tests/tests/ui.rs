//! Compile-time behaviour of restrait's macros: declarations that must compile (`pass/`) and
//! mistakes that must be rejected with a precise, helpful error (`fail/`, with the expected
//! compiler output in the `.stderr` file beside each case).
//!
//! After changing a message, refresh the expectations with
//! `TRYBUILD=overwrite cargo test -p ui-tests` and review the diff line by line.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/fail/*.rs");
}
