// `#[api]` strips the method attributes before rustc resolves them; the imports of `api`, `get`
// and `post` must still count as used.
#![deny(unused_imports)]

use restrait::{api, get, post};

#[api(base = "https://api.example.com")]
pub trait Ping {
    #[get("/ping")]
    async fn ping(&self) -> restrait::Result<()>;

    #[post("/pong")]
    async fn pong(&self) -> restrait::Result<()>;
}

fn main() {}
