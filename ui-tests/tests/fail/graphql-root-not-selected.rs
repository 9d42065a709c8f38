use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql("query Viewer { viewer { name } }", root = "user")]
    async fn viewer(&self) -> Result<()>;
}

fn main() {}
