//! Testing code that uses an SDK, without sockets (feature `testing`): a mock transport with
//! expectations and scripted answers, and record/replay cassettes. Both are
//! [`Transport`](crate::Transport)s: give one to the client's builder with
//! [`transport`](crate::ClientBuilder::transport), and every guarantee of the engine (retries,
//! deadlines, redirects, the response cap) applies to what they answer.
