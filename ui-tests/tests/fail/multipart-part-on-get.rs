use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
trait Uploads {
    #[get("/search")]
    async fn search(&self, #[part] q: &str) -> Result<()>;
}

fn main() {}
