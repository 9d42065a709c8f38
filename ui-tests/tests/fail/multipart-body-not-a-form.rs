use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
trait Uploads {
    #[post("/uploads")]
    async fn upload(&self, #[body(multipart)] form: &str) -> Result<()>;
}

fn main() {}
