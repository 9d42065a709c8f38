use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Issues {
    #[get("/issues")]
    async fn issues(&self, #[query(flatten)] labels: &[String]) -> Result<()>;
}

fn main() {}
