use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql("query Viewer { viewer { name } }")]
    async fn viewer(&self, #[body] extra: &str) -> Result<()>;
}

fn main() {}
