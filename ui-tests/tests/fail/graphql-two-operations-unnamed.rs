use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql("query Viewer { viewer { name } } mutation Star { star { id } }")]
    async fn viewer(&self) -> Result<()>;
}

fn main() {}
