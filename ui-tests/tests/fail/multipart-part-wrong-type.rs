use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
trait Uploads {
    #[post("/uploads")]
    async fn upload(&self, #[part] count: u32) -> Result<()>;
}

fn main() {}
