use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[post("/graphql")]
    #[graphql("query Viewer { viewer { name } }")]
    async fn viewer(&self) -> Result<()>;
}

fn main() {}
