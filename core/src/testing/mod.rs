//! Testing code that uses an SDK, without sockets (feature `testing`): a mock transport with
//! expectations and scripted answers, and record/replay cassettes. Both are
//! [`Transport`](crate::Transport)s: give one to the client's builder with
//! [`transport`](crate::ClientBuilder::transport), and every guarantee of the engine (retries,
//! deadlines, redirects, the response cap) applies to what they answer.
//!
//! [`Cassette`] records what a real server answers into a JSON file a person can read and
//! diff, and replays it on later runs, with vcrpy's record modes ([`RecordMode`]). Credentials
//! are replaced by `REDACTED` before anything is written, and replay still matches.

mod cassette;

pub use cassette::{Cassette, CassetteError, RecordMode};
